"""Latent explorer: `streamlit run app.py`. Page config and wiring only; the UI is in dashboard/."""
import streamlit as st

st.set_page_config(page_title="Latent explorer", page_icon="🧭", layout="wide")

from dashboard.main import main

main()
