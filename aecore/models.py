"""The model registry: the one place that says which autoencoders exist, what each is for and which
data it fits. The UI's model list, its help texts, the CLI's choices and the estimator all read it.

A model is a backbone (how x becomes a code and back) with an objective (what training minimises).
Names are "<backbone>" for the plain autoencoder, "<backbone>-<objective>" for the others, and the
objective alone ("vae") for the objective on the default backbone. Adding an objective is one call
to `register_objective`; every list of names follows."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import nn

from .errors import ConfigError, check_choice
from .networks import (
    ConvBackbone,
    Denoising,
    DenseBackbone,
    ModelConfig,
    Network,
    Sparse,
    Variational,
    can_start_at_pca,
)

DataKind = Literal["table", "image"]  # what Dataset.kind says
DATA_KINDS: tuple[DataKind, ...] = ("table", "image")
PLAIN = "plain"            # the objective of a plain autoencoder: reconstruct x
DEFAULT_BACKBONE = "dense"  # for a bare objective name ("vae"): the faster backbone on a CPU; conv is opt-in


@dataclass(frozen=True)
class Backbone:
    name: str
    module: type[nn.Module]  # built as module(cfg, code_dim); has encode, decode and start_at_pca
    description: str         # the plain autoencoder on this backbone, for a person
    adjective: str           # how a compound name reads ("convolutional" in "convolutional, denoising")
    kinds: tuple[DataKind, ...] = DATA_KINDS


@dataclass(frozen=True)
class Objective:
    name: str
    network: type[Network]   # the Network subclass whose loss() is this objective
    description: str
    kinds: tuple[DataKind, ...] = DATA_KINDS


BACKBONES: dict[str, Backbone] = {}
OBJECTIVES: dict[str, Objective] = {}


def register_backbone(backbone: Backbone) -> Backbone:
    BACKBONES[backbone.name] = backbone
    return backbone


def register_objective(objective: Objective) -> Objective:
    OBJECTIVES[objective.name] = objective
    return objective


register_backbone(Backbone("dense", DenseBackbone, "plain autoencoder (MLP)", "dense"))
register_backbone(Backbone("conv", ConvBackbone, "convolutional (CNN)", "convolutional", kinds=("image",)))
register_objective(Objective(PLAIN, Network, "reconstructs its input"))
register_objective(Objective("denoising", Denoising, "learns to undo noise"))
register_objective(Objective("sparse", Sparse, "L1 penalty pushes code units to zero"))
register_objective(Objective("vae", Variational, "variational: smooth map, can generate"))


def model_names() -> list[str]:
    """Every valid model name: plain backbones, bare objectives, then every backbone-objective pair."""
    others = [o for o in OBJECTIVES if o != PLAIN]
    return [*BACKBONES, *others, *(f"{b}-{o}" for b in BACKBONES for o in others)]


def parse_model(name: str) -> tuple[str, str]:
    """'conv-vae' -> ('conv', 'vae'); 'conv' -> ('conv', 'plain'); 'vae' -> ('dense', 'vae')."""
    check_choice("model", name, model_names())
    if name in BACKBONES:
        return name, PLAIN
    if name in OBJECTIVES:
        return DEFAULT_BACKBONE, name
    backbone, objective = name.split("-", 1)
    return backbone, objective


def fits(name: str, kind: DataKind) -> bool:
    backbone, objective = parse_model(name)
    return kind in BACKBONES[backbone].kinds and kind in OBJECTIVES[objective].kinds


def resolve_model(name: str, kind: DataKind) -> tuple[str, str]:
    """(backbone, objective) of a model name for data of this kind; a clear error where it does not fit."""
    backbone, objective = parse_model(name)
    if not fits(name, kind):
        part = BACKBONES[backbone] if kind not in BACKBONES[backbone].kinds else OBJECTIVES[objective]
        raise ConfigError(f"'{name}' needs {' or '.join(f'{k}s' for k in part.kinds)}; "
                          f"for {kind}s choose one of: {', '.join(model_choices(kind))}.")
    return backbone, objective


def model_choices(kind: DataKind) -> list[str]:
    """The names to offer for data of this kind: those that fit it, one name per (backbone, objective)
    pair (the shortest: "vae" rather than "dense-vae")."""
    seen, names = set(), []
    for name in model_names():
        pair = parse_model(name)
        if pair not in seen and fits(name, kind):
            seen.add(pair)
            names.append(name)
    return names


def adapt_model(name: str, kind: DataKind) -> str:
    """The model to train on data of this kind: `name` where it fits, else the same objective on the
    default backbone ("conv-vae" on a table -> "vae")."""
    backbone, objective = parse_model(name)
    if fits(name, kind):
        return name
    fallback = DEFAULT_BACKBONE if objective == PLAIN else objective
    return fallback if fits(fallback, kind) else model_choices(kind)[0]


def describe_model(name: str) -> str:
    """A few words for a person: what the model named `name` is."""
    backbone, objective = parse_model(name)
    if objective == PLAIN:
        return BACKBONES[backbone].description
    if name == objective:
        return OBJECTIVES[objective].description
    return f"{BACKBONES[backbone].adjective}, {OBJECTIVES[objective].description}"


def build_network(cfg: ModelConfig) -> Network:
    check_choice("backbone", cfg.backbone, BACKBONES)
    check_choice("objective", cfg.objective, OBJECTIVES)
    return OBJECTIVES[cfg.objective].network(cfg, BACKBONES[cfg.backbone].module)


def starts_at_pca(cfg: ModelConfig) -> bool:
    """Whether a network of this config will start at PCA (before it is built; see can_start_at_pca)."""
    check_choice("objective", cfg.objective, OBJECTIVES)
    return can_start_at_pca(cfg, OBJECTIVES[cfg.objective].network.point_code)
