"""The Streamlit UI: one module per panel; all session state lives in state.py."""
