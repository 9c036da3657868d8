"""The logged theme model: an MLflow pyfunc (``pipeline``) saved as plain arrays (``persist``).

``theme_model_code.py`` is the code file MLflow copies into the model, so loading it needs no
pickle.
"""
