"""The two-branch (spectrum + catalogue columns) fusion network.

The module behind :class:`spectra_sklearn.nn.SpectrumFusionClassifier` and
:class:`spectra_sklearn.nn.SpectrumFusionRegressor`: a spectrum branch (the
CNN trunk or the bidirectional LSTM of the package, without their linear
heads), a small dense branch for catalogue columns with missing values, a
fusion (multi-head self-attention over one token per branch, or
concatenation) and one head per branch, so each branch's own prediction is
available next to the fused one.
"""

import torch
from torch import nn

from ._rnn import SpectrumRNNModule
from ._spectrum import SpectrumCNNModule

__all__ = ["FusionLoss", "SpectrumFusionModule", "TabularEncoder"]

# the order of the outputs of SpectrumFusionModule.forward (and of the tokens)
BRANCHES = ("fused", "spectrum", "tabular")


class TabularEncoder(nn.Module):
    """A small MLP over catalogue columns that may be missing (NaN).

    Each column is standardised with the ``mean`` and ``scale`` measured on
    the known training values; a missing value becomes 0 (the mean) and a
    missing-indicator input (1 where missing) is appended, so the network
    learns what "not measured" means (a parallax is measured for nearby
    objects only) and no imputer is needed.

    Parameters
    ----------
    mean, scale : sequence of float
        Per-column location and (positive) scale.
    hidden_size : int, default=32
        Width of the hidden layer.
    out_features : int, default=32
        Size of the embedding.
    dropout : float, default=0.1
        Dropout after the hidden layer.

    Notes
    -----
    Input ``(batch, n_columns)`` (NaN = missing); output ``(batch,
    out_features)``.
    """

    def __init__(self, mean, scale, hidden_size=32, out_features=32, dropout=0.1):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))
        n_columns = len(mean)
        self.mlp = nn.Sequential(
            nn.Linear(2 * n_columns, hidden_size),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden_size, out_features),
            nn.ReLU(),
        )

    def forward(self, tabular):
        missing = torch.isnan(tabular)
        z = torch.where(missing, torch.zeros_like(tabular),
                        (tabular - self.mean) / self.scale)
        return self.mlp(torch.cat([z, missing.to(z.dtype)], dim=1))


def _spectrum_encoder(spectrum_branch, spectrum_params):
    """The CNN or BiLSTM network without its head: ``(batch, n_features)``."""
    if spectrum_branch == "cnn":
        network = SpectrumCNNModule(1, **spectrum_params)
        n_features = network.trunk.n_features
    elif spectrum_branch == "lstm":
        network = SpectrumRNNModule(1, **spectrum_params)
        n_features = network.head.in_features
    else:
        raise ValueError(f"spectrum_branch must be 'cnn' or 'lstm', got {spectrum_branch!r}.")
    # the features that fed the linear head (after its dropout) are the embedding
    network.head = nn.Identity()
    return network, n_features


class SpectrumFusionModule(nn.Module):
    """Spectrum branch + catalogue-column branch, fused, with per-branch heads.

    ``flux → spectrum network (CNN trunk or BiLSTM, no head) → Linear → ReLU``
    gives the spectrum embedding; ``tabular → TabularEncoder`` the tabular
    one (both of size ``embed_dim``). With ``fusion='attention'`` the two
    embeddings and a learned fused ("CLS") token, each plus a learned
    token-type embedding, form a sequence of 3 tokens passed through
    multi-head self-attention (Vaswani et al. 2017) with a residual
    connection and layer normalisation; the fused token's output is the
    fused representation. With ``fusion='concat'`` the fused representation
    is the concatenation of the two embeddings. An MLP head maps it to the
    outputs, and a linear head on each branch's embedding gives that branch's
    own prediction.

    Parameters
    ----------
    n_outputs : int
        Outputs of each head (classes, target values or targets).
    tabular_mean, tabular_scale : sequence of float
        Standardisation of the catalogue columns, see :class:`TabularEncoder`.
    spectrum_branch : {'cnn', 'lstm'}, default='cnn'
        :class:`SpectrumCNNModule` or :class:`SpectrumRNNModule`, without head.
    spectrum_params : dict or None, default=None
        Keyword arguments of that network (input scaling, augmentation,
        architecture).
    fusion : {'attention', 'concat'}, default='attention'
    embed_dim : int, default=32
        Size of each branch's embedding (the token size).
    n_heads : int, default=4
        Attention heads; must divide ``embed_dim``.
    tabular_hidden : int, default=32
        Hidden width of the tabular MLP.
    dropout : float, default=0.1
        Dropout in the tabular MLP, the attention and the fused head.

    Notes
    -----
    ``forward(flux, tabular)``: ``flux`` of shape ``(batch, n_pixels)``,
    ``tabular`` of shape ``(batch, n_columns)`` with NaN for missing values;
    returns the tuple ``(fused, spectrum, tabular)`` of outputs of shape
    ``(batch, n_outputs)`` each (skorch uses the first).
    """

    def __init__(self, n_outputs, tabular_mean, tabular_scale, spectrum_branch="cnn",
                 spectrum_params=None, fusion="attention", embed_dim=32, n_heads=4,
                 tabular_hidden=32, dropout=0.1):
        super().__init__()
        self.fusion = fusion
        self.spectrum, n_spectrum = _spectrum_encoder(spectrum_branch,
                                                      dict(spectrum_params or {}))
        self.spectrum_embed = nn.Sequential(nn.Linear(n_spectrum, embed_dim), nn.ReLU())
        self.tabular = TabularEncoder(tabular_mean, tabular_scale, tabular_hidden,
                                      embed_dim, dropout)
        if fusion == "attention":
            self.fused_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
            self.token_type = nn.Parameter(torch.randn(1, len(BRANCHES), embed_dim) * 0.02)
            self.attention = nn.MultiheadAttention(embed_dim, n_heads, dropout=dropout,
                                                   batch_first=True)
            self.norm = nn.LayerNorm(embed_dim)
            n_fused = embed_dim
        elif fusion == "concat":
            n_fused = 2 * embed_dim
        else:
            raise ValueError(f"fusion must be 'attention' or 'concat', got {fusion!r}.")
        self.fused_head = nn.Sequential(
            nn.Linear(n_fused, embed_dim), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(embed_dim, n_outputs),
        )
        self.spectrum_head = nn.Linear(embed_dim, n_outputs)
        self.tabular_head = nn.Linear(embed_dim, n_outputs)

    def embed(self, flux, tabular):
        """The two branch embeddings, each ``(batch, embed_dim)``."""
        return self.spectrum_embed(self.spectrum(flux)), self.tabular(tabular)

    def _attend(self, spectrum, tabular, need_weights):
        fused = self.fused_token.expand(spectrum.shape[0], -1, -1)
        tokens = torch.cat([fused, spectrum[:, None], tabular[:, None]], dim=1)
        tokens = tokens + self.token_type
        out, weights = self.attention(tokens, tokens, tokens, need_weights=need_weights)
        return self.norm(tokens + out)[:, 0], weights

    def forward(self, flux, tabular):
        spectrum, tabular = self.embed(flux, tabular)
        if self.fusion == "attention":
            fused = self._attend(spectrum, tabular, need_weights=False)[0]
        else:
            fused = torch.cat([spectrum, tabular], dim=1)
        return (self.fused_head(fused), self.spectrum_head(spectrum),
                self.tabular_head(tabular))

    def attention_weights(self, flux, tabular):
        """The fused token's attention over the tokens (fused, spectrum, tabular).

        Returns ``(batch, 3)``, rows summing to 1, averaged over the heads.
        """
        if self.fusion != "attention":
            raise ValueError("fusion='concat' has no attention weights; use "
                             "fusion='attention'.")
        spectrum, tabular = self.embed(flux, tabular)
        return self._attend(spectrum, tabular, need_weights=True)[1][:, 0]


class FusionLoss(nn.Module):
    """The fused head's loss plus ``auxiliary_weight`` times each branch head's.

    Parameters
    ----------
    base : torch loss class, default=torch.nn.CrossEntropyLoss
        Loss applied to each head's output and the target.
    weight : tensor or None, default=None
        Class weights (``base`` must take ``weight``, as the cross-entropy).
    auxiliary_weight : float, default=0.5
        Weight of each branch head's loss; 0 trains the fused head alone (the
        branch heads then predict nothing useful).
    """

    def __init__(self, base=nn.CrossEntropyLoss, weight=None, auxiliary_weight=0.5):
        super().__init__()
        self.base = base() if weight is None else base(weight=weight)
        self.auxiliary_weight = float(auxiliary_weight)

    def forward(self, outputs, target):
        fused, spectrum, tabular = outputs
        loss = self.base(fused, target)
        if self.auxiliary_weight:
            loss = loss + self.auxiliary_weight * (
                self.base(spectrum, target) + self.base(tabular, target))
        return loss
