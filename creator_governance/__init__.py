"""creator-governance: trust & safety and e-commerce governance of a creator ecosystem on Spark and Delta."""

__version__ = "0.1.0"
