"""Encoders (ONNX Runtime, sentence-transformers), the index folder, retrieval and fusion."""
