"""Language models, for the two jobs only a model can do: reading free text into claims
(``extract``) and answering a refuted finding's evidence (``challenge``). ``client`` is the one
interface; each provider's adapter (``anthropic_adapter``, ``openai_adapter``, ``gemini_adapter``)
imports its SDK and nothing else does. A model never decides a verdict git and the parser decide."""
