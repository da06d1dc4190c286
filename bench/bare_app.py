"""The floor for a click: a bare Streamlit app with the map's chart options (a Plotly WebGL scatter of
1,797 points, `on_select` whose callback reruns one fragment) and a fragment that shows the picked id.
bench/big_map.py measures our app's click round trip against this one, in the same run:
`streamlit run bench/bare_app.py`."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

N = 1_797  # the digits sample's rows: our app's first map (?n= draws another count, to see what points cost)

st.set_page_config(page_title="bare", layout="wide")


@st.cache_resource
def figure(n: int) -> go.Figure:
    xy = np.random.default_rng(0).standard_normal((n, 2)).astype(np.float32)
    fig = go.Figure(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=np.arange(n, dtype=np.int32),
                                 marker=dict(size=7 if n < 2_000 else 3, opacity=0.8),
                                 selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=0.35))))
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=34, b=10), dragmode="pan", clickmode="event+select",
                      hovermode="closest")
    return fig


def on_pick() -> None:
    st.rerun("picked")


@st.fragment(key="picked")
def picked() -> None:
    points = ((st.session_state.get("map") or {}).get("selection") or {}).get("points") or []
    st.markdown(f"picked row {points[0].get('customdata') if points else 'none'}")


left, right = st.columns([3, 2], gap="medium")
with left:
    st.plotly_chart(figure(int(st.query_params.get("n", N))), key="map", on_select=on_pick,
                    selection_mode=("points", "box", "lasso"), config={"scrollZoom": True, "displaylogo": False})
with right:
    picked()
