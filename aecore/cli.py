"""Command line: `python -m aecore train|encode|info`. Errors are one line on stderr and exit code 2;
progress goes to stderr, results to stdout or the --out file. `train` runs as it is under torchrun
(aecore.distributed): every rank trains, rank 0 alone prints, maps and writes the bundle."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import distributed
from .baseline import compare_with_pca
from .bundle import load_bundle, save_bundle
from .dataset import Dataset
from .errors import AecoreError, DataError
from .estimator import DEVICES, Autoencoder, pick_device
from .export import codes_frame, to_csv_bytes
from .images import IMAGE_SUFFIXES, load_images
from .models import describe_model, model_names
from .newdata import prepare_like
from .projection import PROJECTIONS, place_on_map, project_map
from .samples import SAMPLES, load_sample
from .tables import TABLE_SUFFIXES, load_table
from .training import PRECISIONS


def is_table(path: str) -> bool:
    return Path(path).suffix.lower() in TABLE_SUFFIXES


def load_data(source: str, label: str | None = None) -> Dataset:
    """A CSV or Parquet table, an image/folder/ZIP, or sample:NAME."""
    if source.startswith("sample:"):
        return load_sample(source.split(":", 1)[1])
    if not Path(source).exists():
        raise DataError(f"Cannot find '{source}'. Give a CSV file, an image, a folder or ZIP of images, or "
                        f"sample:NAME ({', '.join(SAMPLES)}).")
    if is_table(source):
        return load_table(source, label=label)
    if Path(source).is_dir() or Path(source).suffix.lower() in IMAGE_SUFFIXES | {".zip"}:
        return load_images(source, name=Path(source).stem)
    raise DataError(f"'{source}' is neither a table ({', '.join(TABLE_SUFFIXES)}) nor images or a ZIP of images.")


def data_for_bundle(source: str, bundle) -> Dataset:
    """Prepare new data exactly as the bundle's training data was prepared (aecore.newdata)."""
    if bundle.dataset is None:
        return load_data(source)
    if source.startswith("sample:"):
        return prepare_like(bundle.dataset, load_sample(source.split(":", 1)[1]))
    return prepare_like(bundle.dataset, source, name=Path(source).stem)


def cmd_train(args) -> int:
    """Train and save a bundle. Under torchrun, join the process group first and leave it at the end."""
    ctx = distributed.start(pick_device(args.device))
    try:
        return train_and_save(args, ctx)
    finally:
        if ctx is not None:
            distributed.stop()


def train_and_save(args, ctx: distributed.Context | None) -> int:
    main = distributed.is_main(ctx)
    data = load_data(args.data, args.label)
    for line in data.report if main else ():
        print(line, file=sys.stderr)
    model = Autoencoder(model=args.model, latent_dim=args.latent, epochs=args.epochs, batch_size=args.batch_size,
                        seed=args.seed, max_seconds=args.max_seconds, device=args.device, precision=args.precision)

    def progress(r):
        val = f" val {r.val_loss:.5f}" if r.val_loss is not None else ""
        print(f"epoch {r.epoch}/{r.epochs} train {r.train_loss:.5f}{val} ({r.elapsed:.1f} s)", file=sys.stderr)

    model.fit(data, callback=progress if main else None, dist=ctx)
    if not main:  # the other ranks' work ends with training: rank 0 maps and writes
        return 0
    print(model.result_.message, file=sys.stderr)
    codes = model.transform(data)
    errors = model.reconstruction_error(data)
    mapped = None if args.projection == "none" else project_map(codes, args.projection, random_state=args.seed)
    if mapped is not None:
        print(mapped.description, file=sys.stderr)
    comparison = compare_with_pca(model, data)
    save_bundle(args.out, model, data, codes=codes, xy=mapped.xy if mapped else None, errors=errors,
                comparison=comparison, map_note=mapped.description if mapped else None)
    print(f"{comparison.summary()}. Saved {args.out}")
    return 0


def cmd_encode(args) -> int:
    bundle = load_bundle(args.bundle)
    data = data_for_bundle(args.data, bundle)
    codes = bundle.model.transform(data)
    errors = bundle.model.reconstruction_error(data)
    xy = None
    if bundle.codes is not None and bundle.xy is not None:
        xy = place_on_map(bundle.codes, bundle.xy, codes)
    frame = codes_frame(codes, xy, errors, data.labels, keys=data.meta[data.key_columns])
    Path(args.out).write_bytes(to_csv_bytes(frame))
    print(f"wrote {len(frame):,} rows to {args.out}")
    return 0


def cmd_info(args) -> int:
    b = load_bundle(args.bundle)
    m = b.model
    info = {
        "created": b.info.get("created"),
        "model": m.model, "latent_dim": m.config_.latent_dim, "input_shape": list(m.input_shape_),
        "backbone": m.config_.backbone, "objective": m.config_.objective, "hidden": m.config_.hidden,
        "training": m.result_.message, "epochs_run": m.result_.epochs_run,
        "data": None if b.dataset is None else {"name": b.dataset.name, "kind": b.dataset.kind, "rows": b.dataset.n,
                                                "label": b.dataset.label},
        "has_codes": b.codes is not None, "has_map": b.xy is not None,
        "pca_comparison": None if b.comparison is None else {**b.comparison.to_json(),
                                                             "summary": b.comparison.summary()},
    }
    print(json.dumps(info, indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m aecore", description="Train and use autoencoders from the shell.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a model on DATA and save a bundle")
    t.add_argument("data", help="a CSV, an image, a folder or ZIP of images, or sample:NAME")
    defaults = Autoencoder().get_params()
    t.add_argument("--model", default=defaults["model"], choices=model_names(), metavar="MODEL",
                   help="; ".join(f"{name}: {describe_model(name)}" for name in model_names()))
    t.add_argument("--latent", type=int, default=defaults["latent_dim"],
                   help="latent size (default: about a quarter of the features, 1 to 8)")
    t.add_argument("--epochs", type=int, default=None, help="default: about 4,000 optimizer steps, 20-400 epochs")
    t.add_argument("--batch-size", type=int, default=defaults["batch_size"],
                   help="rows per optimizer step; under torchrun, the whole step's rows, split across the processes")
    t.add_argument("--label", default=None, help="CSV column used as label (never a feature)")
    t.add_argument("--seed", type=int, default=defaults["seed"])
    t.add_argument("--max-seconds", type=float, default=None, help="stop training after this many seconds")
    t.add_argument("--device", default=defaults["device"], choices=DEVICES,
                   help="where to train: auto (a GPU when PyTorch sees one), cpu or cuda (an error without a GPU)")
    t.add_argument("--precision", default=defaults["precision"], choices=PRECISIONS,
                   help="fp32, or mixed precision on a GPU: bf16 (needs no loss scaling) or fp16 (with a GradScaler)")
    t.add_argument("--projection", default="umap", choices=[*PROJECTIONS, "none"], help="map stored in the bundle")
    t.add_argument("--out", required=True, help="bundle path, e.g. model.aebundle")
    t.set_defaults(run=cmd_train)
    e = sub.add_parser("encode", help="write codes, map position and error of DATA as CSV")
    e.add_argument("bundle")
    e.add_argument("data", help="data prepared like the model's training data (same columns or image kind)")
    e.add_argument("--out", required=True)
    e.set_defaults(run=cmd_encode)
    i = sub.add_parser("info", help="describe a bundle")
    i.add_argument("bundle")
    i.set_defaults(run=cmd_info)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except AecoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})", file=sys.stderr)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    return 2
