"""CrossSurveySplit: train on some surveys (or fields, instruments), test on others."""

import numbers

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.model_selection._split import GroupsConsumerMixin
from sklearn.utils.validation import check_array

__all__ = ["CrossSurveySplit"]


class CrossSurveySplit(GroupsConsumerMixin, BaseCrossValidator):
    """Fixed train-on-these / test-on-those splits by group label.

    Each sample carries a group label naming where it comes from -- a survey,
    a field (the Small and Large Magellanic Clouds, the Galactic Plane), an
    instrument set-up or an epoch. The split trains on the samples whose
    label is in ``train`` and tests on those whose label is in ``test``, so a
    score measures how a classifier *transfers* to data it never saw the like
    of. Samples whose label is in neither list are left out of both sets.

    Use it as ``cv=`` in :func:`~sklearn.model_selection.cross_validate`,
    :class:`~sklearn.model_selection.GridSearchCV` and friends, passing the
    labels as ``groups=`` (or, with metadata routing enabled, as
    ``params={"groups": labels}``: the splitter requests ``groups``).

    Parameters
    ----------
    train : list of hashable
        Group labels of the training samples (one or more).
    test : list of hashable
        Group labels of the test samples (one or more), none of them in
        ``train``.
    per_test_group : bool, default=False
        ``False``: one split, tested on all ``test`` groups together.
        ``True``: one split per label in ``test`` (in the order given), each
        trained on all ``train`` groups and tested on that label alone, so
        every target survey gets its own score.

    See Also
    --------
    sklearn.model_selection.LeaveOneGroupOut : Every group in turn as the test set.
    sklearn.model_selection.PredefinedSplit : Splits fixed by a per-sample fold index.

    Notes
    -----
    Within one survey the same object may have several spectra; across
    surveys it may too (a star in two programmes). Give such spectra the same
    object identifier and check that no identifier sits in both the ``train``
    and the ``test`` surveys; this splitter only sees the survey labels.

    The splits do not depend on ``X`` or ``y``; ``split`` raises if a label
    in ``train`` or ``test`` has no sample, so a typo cannot silently give an
    empty or smaller set.

    Examples
    --------
    Train on the Small and Large Magellanic Clouds, test on the Galactic
    Plane (``Bulge`` samples are left out):

    >>> import numpy as np
    >>> from spectra_sklearn.model_selection import CrossSurveySplit
    >>> groups = np.array(["SMC", "SMC", "LMC", "LMC", "GP", "GP", "Bulge"])
    >>> cv = CrossSurveySplit(train=["SMC", "LMC"], test=["GP"])
    >>> cv
    CrossSurveySplit(per_test_group=False, test=['GP'], train=['SMC', 'LMC'])
    >>> for train, test in cv.split(np.zeros(7), groups=groups):
    ...     print(train, test)
    [0 1 2 3] [4 5]

    One score per target survey:

    >>> cv = CrossSurveySplit(train=["SMC", "LMC"], test=["GP", "Bulge"],
    ...                       per_test_group=True)
    >>> cv.get_n_splits()
    2
    >>> [test.tolist() for _, test in cv.split(np.zeros(7), groups=groups)]
    [[4, 5], [6]]
    """

    def __init__(self, train, test, *, per_test_group=False):
        self.train = train
        self.test = test
        self.per_test_group = per_test_group

    def _labels(self, name):
        value = getattr(self, name)
        if isinstance(value, (str, bytes, numbers.Number)) or not hasattr(value, "__iter__"):
            raise TypeError(
                f"CrossSurveySplit's {name!r} parameter must be a list of group labels, "
                f"e.g. {name}=[{value!r}]; got {type(value).__name__} {value!r}."
            )
        labels = list(value)
        if not labels:
            raise ValueError(
                f"CrossSurveySplit's {name!r} parameter must name at least one group label; "
                "got an empty list."
            )
        return labels

    def _check_params(self):
        train, test = self._labels("train"), self._labels("test")
        if not isinstance(self.per_test_group, (bool, np.bool_)):
            raise TypeError(
                "CrossSurveySplit's 'per_test_group' parameter must be True or False; "
                f"got {self.per_test_group!r}."
            )
        overlap = [label for label in test if label in train]
        if overlap:
            raise ValueError(
                f"CrossSurveySplit: the group labels {overlap!r} are in both 'train' and "
                "'test'; a group must be in one of them only."
            )
        return train, test

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: 1, or ``len(test)`` with ``per_test_group=True``.

        Parameters
        ----------
        X, y, groups : object
            Ignored, exist for API compatibility.

        Returns
        -------
        n_splits : int
        """
        _, test = self._check_params()
        return len(test) if self.per_test_group else 1

    def split(self, X, y=None, groups=None):
        """Indices of the training and test samples of each split.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or sequence of length n_samples
            Only its length is used.
        y : array-like of shape (n_samples,), default=None
            Ignored.
        groups : array-like of shape (n_samples,)
            Group label (survey, field, ...) of each sample.

        Yields
        ------
        train : ndarray of shape (n_train,)
            Indices of the samples whose label is in ``train``.
        test : ndarray of shape (n_test,)
            Indices of the samples whose label is in ``test`` (or in the one
            test label of this split).

        Raises
        ------
        ValueError
            If ``groups`` is None or its length differs from ``X``, if a label
            of ``train`` or ``test`` has no sample, or if a label is in both.
        """
        train, test = self._check_params()
        if groups is None:
            raise ValueError(
                "CrossSurveySplit.split needs groups: the group label (survey, field) of "
                "each sample. Pass groups=... (or params={'groups': ...} with metadata "
                "routing enabled)."
            )
        groups = check_array(groups, input_name="groups", ensure_2d=False, dtype=None)
        if groups.ndim != 1:
            raise ValueError(f"groups must be 1-D; got shape {groups.shape}.")
        n_samples = len(X) if X is not None else len(groups)
        if len(groups) != n_samples:
            raise ValueError(
                f"groups has {len(groups)} labels for {n_samples} samples; give one "
                "label per sample."
            )
        labels_of = groups.tolist()
        present = set(labels_of)
        missing = [label for label in train + test if label not in present]
        if missing:
            shown = sorted(map(str, present))
            more = f" and {len(shown) - 20} more" if len(shown) > 20 else ""
            raise ValueError(
                f"CrossSurveySplit: the group labels {missing!r} have no sample; "
                f"the groups present are {shown[:20]}{more}."
            )
        train_index = _indices_of(labels_of, train)
        if self.per_test_group:
            test_sets = [[label] for label in test]
        else:
            test_sets = [test]
        for labels in test_sets:
            yield train_index, _indices_of(labels_of, labels)


def _indices_of(labels_of, wanted):
    """Indices of the samples whose label is one of ``wanted``."""
    wanted = set(wanted)
    return np.flatnonzero([label in wanted for label in labels_of]).astype(np.intp)
