"""Compare runs: every run of this session in a table; overlay two to four of them."""

import csv
import io

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from appkit import records, session
from twolayer.figures import boundary_figure, plot_range

PALETTE = ["#1a73e8", "#e8710a", "#188038", "#d93025"]


def as_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(records.TABLE_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def label(record: dict) -> str:
    return (
        f"#{record['run']}: {record['dataset']}, α {record['learning rates']}, {record['hidden_size']} hidden, "
        f"{record['iteration']:,} it"
    )


def main() -> None:
    session.ensure_app("pages/compare.py")
    st.markdown("#### Compare runs")
    logged = session.current().all_records()
    if not logged:
        st.info("No runs yet: train something in the Playground and come back.")
        return
    rows = records.table_rows(logged)
    st.dataframe(rows, hide_index=True, key="runs_table")
    st.download_button("Table (CSV)", as_csv(rows), "twolayer-runs.csv", "text/csv", on_click="ignore")
    by_label = {label(r): r for r in logged}
    chosen = st.multiselect(
        "Runs to compare (two to four)", list(by_label), default=list(by_label)[-2:], max_selections=4
    )
    if len(chosen) < 2:
        st.caption("Pick at least two runs.")
        return
    picked = [by_label[name] for name in chosen]
    curves = go.Figure()
    for colour, r in zip(PALETTE, picked, strict=False):
        x, y = r["cost_iterations"], r["costs"]  # a record keeps its curves thinned (records.curve)
        curves.add_trace(go.Scatter(x=x, y=y, mode="lines", name=f"#{r['run']} train", line=dict(color=colour)))
        if r["test_costs"] is not None:
            x, y = r["test_cost_iterations"], r["test_costs"]
            curves.add_trace(
                go.Scatter(x=x, y=y, mode="lines", name=f"#{r['run']} test", line=dict(color=colour, dash="dash"))
            )
    curves.update_layout(
        height=380,
        margin=dict(l=10, r=10, t=30, b=10),
        plot_bgcolor="white",
        xaxis=dict(title="iteration", gridcolor="#eee"),
        yaxis=dict(title="cost", rangemode="tozero", gridcolor="#eee"),
    )
    st.plotly_chart(curves, key="compare_curves")
    for cell, r in zip(st.columns(len(picked)), picked, strict=True):
        X, Y, X_test, Y_test = r["data"]
        X_all = X.T if X_test is None else np.vstack([X.T, X_test.T])
        fig = boundary_figure(
            r["params"],
            r["activation"],
            X.T,
            Y[0].astype(int),
            None if X_test is None else X_test.T,
            None if Y_test is None else Y_test[0].astype(int),
            axes=plot_range(X_all),
            height=340,
            resolution=60,
            legend=False,
            colorbar=False,
            features=r["features"],
        )
        fig["layout"]["title"] = dict(text=f"#{r['run']}", x=0.02)
        with cell:
            st.plotly_chart(fig, key=f"compare_boundary_{r['run']}")


main()
