"""Language model providers and models, declared as data, and the factory that builds chat models."""
