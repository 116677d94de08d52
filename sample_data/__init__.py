"""A fictional sample town (さくら台市) for demonstrations and tests."""
