"""model-template-registry: model templates for Scale's GenAI platform, managed in git."""

__version__ = "0.1.0"
