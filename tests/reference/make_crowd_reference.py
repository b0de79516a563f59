#!/usr/bin/env python3
"""Builds the crowd-label fixtures under tests/data/crowd/ and their reference numbers from the real
packages (krippendorff, statsmodels, crowd-kit), for `spotcheck agreement` / `spotcheck soft-labels`.

    python3 tests/reference/make_crowd_reference.py            # rewrites tests/data/crowd/*
    pip install krippendorff statsmodels crowd-kit             # bench/reference only; the tests read the JSON

Every folder holds a dataset (manifest.csv: file_name,label,split), annotations.csv
(file_name,annotator,label) and reference.json. Everything is deterministic (fixed data, fixed seeds).

  kripp-doc/   the `krippendorff` package's docstring example (3 coders x 15 units, values 1..4 as the
               class names "1".."4"; alpha nominal 0.691358). Unequal counts, so fleiss_kappa is null.
  fleiss/      Fleiss (1971) psychiatric diagnoses as in R irr's `diagnoses` and statsmodels' tests:
               30 subjects x 6 raters (rater1..rater6), 5 categories (named below);
               statsmodels fleiss_kappa = R irr kappam.fleiss = 0.4302445.
  fleiss-wiki/ statsmodels' only fleiss_kappa example (test_fleiss_kappa, the Wikipedia table):
               10 subjects x 14 raters, 5 categories, kappa 0.210; the table gives counts only, so the
               raters r01..r14 are assigned in category order within each subject.
  sim/         a seeded simulated crowd (scripts/make_crowd_data.py --samples 2000 --seed 7: 25 annotators,
               3 spammers, 1 adversarial, 3-7 judgements per sample, 5 classes) with crowd-kit's
               DawidSkene(n_iter=100, tol=1e-5), majority vote, and this file's numpy implementation of
               spotcheck's Dawid-Skene contract (no smoothing, stop when no posterior moves > 1e-5).

The given label of the small fixtures' manifests is the majority vote, moved to the next class for every
7th sample (index % 7 == 3) so that some samples disagree; samples without judgements get class 0.
Class order everywhere is byte order of the class names (dataset classes plus those only annotators used);
per-sample lists are in dataset (manifest) order, with class indices into "classes" (null: no judgements).
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import krippendorff
from statsmodels.stats.inter_rater import fleiss_kappa
from crowdkit.aggregation import DawidSkene

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "data" / "crowd"
NAN = np.nan

KRIPP_DOC = [[NAN, NAN, NAN, NAN, NAN, 3, 4, 1, 2, 1, 1, 3, 3, NAN, 3],
             [1, NAN, 2, 1, 3, 3, 4, 3, NAN, NAN, NAN, NAN, NAN, NAN, NAN],
             [NAN, NAN, 2, 1, 3, 4, 4, NAN, 2, 1, 1, 3, 3, NAN, 4]]

DIAGNOSES = [[4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
             [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
             [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
             [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
             [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
             [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
             [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
             [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5]]
DIAGNOSIS_NAMES = {1: "depression", 2: "personality disorder", 3: "schizophrenia", 4: "neurosis", 5: "other"}

WIKI_TABLE = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
              [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]

CONTRACT_TOL = 1e-5
CONTRACT_MAX_ITER = 100


def versions():
    return {p: version(p) for p in ("krippendorff", "statsmodels", "crowd-kit", "numpy", "pandas")}


def byte_sorted(names):
    return sorted(set(names), key=lambda s: s.encode())


# ---------------------------------------------------------------------------------------------
# Agreement numbers

def vote_counts(files, classes, ann):
    """units x classes judgement counts, rows in dataset order."""
    fi = {f: i for i, f in enumerate(files)}
    ci = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(files), len(classes)), dtype=np.int64)
    np.add.at(counts, (ann["file_name"].map(fi).to_numpy(), ann["label"].map(ci).to_numpy()), 1)
    return counts


def observed_agreement(counts):
    n = counts.sum(1)
    keep = n >= 2
    if not keep.any():
        return None
    c, n = counts[keep].astype(float), n[keep].astype(float)
    return float(((c * (c - 1)).sum(1) / (n * (n - 1))).mean())


def alpha_nominal(counts):
    if (counts.sum(1) >= 2).sum() == 0:
        return None
    a = krippendorff.alpha(value_counts=counts, level_of_measurement="nominal")
    return None if not np.isfinite(a) else float(a)


def fleiss(counts):
    n = counts.sum(1)
    n = n[n > 0]
    if n.size == 0 or n.min() != n.max() or n[0] < 2:
        return None
    return float(fleiss_kappa(counts[counts.sum(1) > 0], method="fleiss"))


def vote_consensus(counts):
    """argmax of the counts, lowest class index on ties; None without judgements."""
    return [int(np.argmax(r)) if r.sum() else None for r in counts]


def agreement_block(counts):
    return {"observed": observed_agreement(counts), "krippendorff_alpha": alpha_nominal(counts),
            "fleiss_kappa": fleiss(counts)}


def annotator_block(ann, files, classes, consensus):
    """Per annotator: judgements and the share equal to the consensus (index list in dataset order)."""
    fi = {f: i for i, f in enumerate(files)}
    cons = np.array([-1 if c is None else c for c in consensus])
    lab = ann["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    same = cons[ann["file_name"].map(fi).to_numpy()] == lab
    out = {}
    for w, g in pd.Series(same).groupby(ann["annotator"].to_numpy()):
        out[str(w)] = {"num_annotations": int(g.size), "agreement_with_consensus": float(g.mean())}
    return dict(sorted(out.items(), key=lambda kv: kv[0].encode()))


def agrees_with_given(given, consensus):
    pairs = [(g, c) for g, c in zip(given, consensus) if c is not None and g is not None]
    return float(np.mean([g == c for g, c in pairs])) if pairs else None


# ---------------------------------------------------------------------------------------------
# Dawid-Skene as spotcheck's contract states it

def contract_dawid_skene(counts, ann, files, classes):
    """EM from vote fractions; M: prior = mean posterior, confusion[w][t][l] = posterior-weighted counts,
    rows normalised (a row with no mass stays zero); E: posterior ∝ prior x prod confusion; stop when no
    posterior moves by more than 1e-5 or after 100 rounds (a round = M-step then E-step); no smoothing.
    Only samples with judgements take part. estimated_accuracy from the last round's M-step."""
    annotated = np.flatnonzero(counts.sum(1) > 0)
    row_of = np.full(len(files), -1)
    row_of[annotated] = np.arange(annotated.size)
    fi = {f: i for i, f in enumerate(files)}
    s = row_of[ann["file_name"].map(fi).to_numpy()]
    workers = byte_sorted(ann["annotator"])
    w = ann["annotator"].map({x: i for i, x in enumerate(workers)}).to_numpy()
    lab = ann["label"].map({c: i for i, c in enumerate(classes)}).to_numpy()
    k, nw = len(classes), len(workers)
    c = counts[annotated].astype(float)
    post = c / c.sum(1, keepdims=True)
    zero_rows = 0
    for it in range(1, CONTRACT_MAX_ITER + 1):
        prior = post.mean(0)
        conf = np.zeros((nw, k, k))
        np.add.at(conf, (w, slice(None), lab), post[s])  # conf[w, :, lab] += post[s]
        rs = conf.sum(2, keepdims=True)
        conf = np.divide(conf, rs, out=np.zeros_like(conf), where=rs > 0)
        like = np.tile(prior, (post.shape[0], 1))
        np.multiply.at(like, s, conf[w, :, lab])
        tot = like.sum(1, keepdims=True)
        zero_rows = int((tot[:, 0] == 0).sum())
        new = np.divide(like, tot, out=post.copy(), where=tot > 0)  # all-zero: keep the old posterior
        delta = np.abs(new - post).max()
        post = new
        if delta <= CONTRACT_TOL:
            break
    est = {workers[i]: float((prior * np.diagonal(conf[i])).sum()) for i in range(nw)}
    consensus = [None] * len(files)
    for r, i in enumerate(annotated):
        consensus[i] = int(np.argmax(post[r]))
    return consensus, it, est, zero_rows, post


# ---------------------------------------------------------------------------------------------
# crowd-kit

def crowd_kit(ann, files, classes):
    df = ann.rename(columns={"file_name": "task", "annotator": "worker"})[["task", "worker", "label"]]
    ds = DawidSkene(n_iter=100, tol=1e-5)
    ds.fit(df)
    labels = ds.labels_
    ci = {c: i for i, c in enumerate(classes)}
    consensus = [ci[labels[f]] if f in labels.index else None for f in files]
    errors = ds.errors_  # index (worker, observed label), columns: true label; columns sum to 1 per worker
    est = {}
    for wk in byte_sorted(df["worker"]):
        e = errors.loc[wk]
        est[wk] = float(sum(ds.priors_[kk] * (e.loc[kk, kk] if kk in e.index else 0.0)
                            for kk in ds.priors_.index))
    est = dict(sorted(est.items(), key=lambda kv: kv[0].encode()))
    return consensus, len(ds.loss_history_), est, ds


# ---------------------------------------------------------------------------------------------
# Fixture writing

def given_labels(consensus):
    """Majority vote, moved to the next class for index % 7 == 3; class 0 without judgements."""
    out = []
    for i, c in enumerate(consensus):
        c = 0 if c is None else c
        out.append(c + 1 if i % 7 == 3 else c)
    return out


def write_fixture(name, files, ann_rows, classes, given=None, split=None, note=""):
    """ann_rows: [(file, annotator, label)]. Returns (folder, annotations DataFrame, counts, vote)."""
    d = OUT / name
    d.mkdir(parents=True, exist_ok=True)
    ann = pd.DataFrame(ann_rows, columns=["file_name", "annotator", "label"])
    counts = vote_counts(files, classes, ann)
    vote = vote_consensus(counts)
    if given is None:
        given = [classes[g % len(classes)] for g in given_labels(vote)]
    split = split or ["train"] * len(files)
    with open(d / "manifest.csv", "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(["file_name", "label", "split"])
        wr.writerows(zip(files, given, split))
    ann.to_csv(d / "annotations.csv", index=False, lineterminator="\n")
    return d, ann, counts, vote, given


def base_reference(files, ann, classes, counts, vote, given, note):
    gi = [classes.index(g) for g in given]
    return {
        "note": note,
        "generated_by": {"script": "tests/reference/make_crowd_reference.py", "versions": versions()},
        "num_samples": len(files),
        "num_annotated_samples": int((counts.sum(1) > 0).sum()),
        "num_annotations": int(len(ann)),
        "num_annotators": int(ann["annotator"].nunique()),
        "classes": classes,
        "agreement": agreement_block(counts),
        "vote": {
            "consensus": vote,
            "agrees_with_given_label": agrees_with_given(gi, vote),
            "annotators": annotator_block(ann, files, classes, vote),
        },
    }


def dump(d, ref):
    """Indented JSON with every list of scalars on one line (the per-sample lists stay small)."""
    flat = {}

    def walk(x):
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list) and all(not isinstance(v, (dict, list)) for v in x):
            key = f"@@{len(flat)}@@"
            flat[key] = json.dumps(x, separators=(",", ":"))
            return key
        return [walk(v) for v in x] if isinstance(x, list) else x

    text = json.dumps(walk(ref), indent=1)
    for key, value in flat.items():
        text = text.replace(f'"{key}"', value)
    with open(d / "reference.json", "w") as f:
        f.write(text + "\n")


def kripp_doc():
    files = [f"img/u{j + 1:02d}.jpg" for j in range(15)]
    coders = ["A", "B", "C"]
    rows = [(files[j], coders[i], str(int(v)))
            for j in range(15) for i in range(3) if not np.isnan(v := KRIPP_DOC[i][j])]
    classes = ["1", "2", "3", "4"]
    d, ann, counts, vote, given = write_fixture("kripp-doc", files, rows, classes)
    ref = base_reference(files, ann, classes, counts, vote, given,
                         "krippendorff docstring example: coders A,B,C x 15 units; values 1..4 as class names")
    ref["agreement"]["krippendorff_alpha_from_reliability_data"] = float(
        krippendorff.alpha(reliability_data=KRIPP_DOC, level_of_measurement="nominal"))
    ref["documented"] = {"krippendorff_alpha_nominal_rounded_6": 0.691358}
    assert round(ref["agreement"]["krippendorff_alpha"], 6) == 0.691358
    assert abs(ref["agreement"]["krippendorff_alpha"] - ref["agreement"]["krippendorff_alpha_from_reliability_data"]) < 1e-12
    assert ref["agreement"]["fleiss_kappa"] is None
    dump(d, ref)
    return ref


def fleiss_diagnoses():
    files = [f"img/patient{j + 1:02d}.jpg" for j in range(30)]
    rows = [(files[j], f"rater{i + 1}", DIAGNOSIS_NAMES[v])
            for j, r in enumerate(DIAGNOSES) for i, v in enumerate(r)]
    classes = byte_sorted(DIAGNOSIS_NAMES.values())
    d, ann, counts, vote, given = write_fixture("fleiss", files, rows, classes)
    ref = base_reference(files, ann, classes, counts, vote, given,
                         "Fleiss 1971 diagnoses (R irr / statsmodels tests): 30 subjects x 6 raters")
    ref["documented"] = {"fleiss_kappa_R_irr": 0.4302445}
    assert abs(ref["agreement"]["fleiss_kappa"] - 0.4302445) < 5e-8
    dump(d, ref)
    return ref


def fleiss_wiki():
    files = [f"img/s{j + 1:02d}.jpg" for j in range(10)]
    classes = ["1", "2", "3", "4", "5"]
    rows = []
    for j, r in enumerate(WIKI_TABLE):
        labels = [classes[c] for c, n in enumerate(r) for _ in range(n)]
        rows += [(files[j], f"r{i + 1:02d}", lab) for i, lab in enumerate(labels)]
    d, ann, counts, vote, given = write_fixture("fleiss-wiki", files, rows, classes)
    ref = base_reference(files, ann, classes, counts, vote, given,
                         "statsmodels test_fleiss_kappa (Wikipedia) table: 10 subjects x 14 raters")
    ref["documented"] = {"fleiss_kappa_wikipedia_rounded_3": 0.210}
    assert round(ref["agreement"]["fleiss_kappa"], 3) == 0.210
    dump(d, ref)
    return ref


def sim():
    d = OUT / "sim"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_crowd_data.py"), "--samples", "2000",
                        "--annotators", "25", "--min", "3", "--max", "7", "--classes", "5", "--seed", "7",
                        "--out", tmp], check=True)
        d.mkdir(parents=True, exist_ok=True)
        for f in ("manifest.csv", "annotations.csv", "annotators.csv"):
            shutil.copy(os.path.join(tmp, f), d / f)
        truth = pd.read_csv(os.path.join(tmp, "truth.csv"))
    man = pd.read_csv(d / "manifest.csv")
    ann = pd.read_csv(d / "annotations.csv")
    kinds = pd.read_csv(d / "annotators.csv")
    files = man["file_name"].tolist()
    classes = byte_sorted(list(man["label"]) + list(ann["label"]))
    ci = {c: i for i, c in enumerate(classes)}
    counts = vote_counts(files, classes, ann)
    vote = vote_consensus(counts)
    given = [ci[g] for g in man["label"]]
    tru = [ci[t] for t in truth.set_index("file_name").loc[files, "true_label"]]

    def acc(cons):
        return float(np.mean([c == t for c, t in zip(cons, tru) if c is not None]))

    ck_cons, ck_iter, ck_est, ds = crowd_kit(ann, files, classes)
    ct_cons, ct_iter, ct_est, zero_rows, _ = contract_dawid_skene(counts, ann, files, classes)
    both = [(a, b) for a, b in zip(ck_cons, ct_cons) if a is not None]
    ref = {
        "note": "scripts/make_crowd_data.py --samples 2000 --annotators 25 --min 3 --max 7 --classes 5 --seed 7",
        "generated_by": {"script": "tests/reference/make_crowd_reference.py", "versions": versions()},
        "num_samples": len(files),
        "num_annotated_samples": int((counts.sum(1) > 0).sum()),
        "num_annotations": int(len(ann)),
        "num_annotators": int(ann["annotator"].nunique()),
        "classes": classes,
        "truth": tru,
        "agreement": agreement_block(counts),
        "vote": {
            "consensus": vote,
            "accuracy": acc(vote),
            "agrees_with_given_label": agrees_with_given(given, vote),
            "annotators": annotator_block(ann, files, classes, vote),
        },
        "crowd_kit_dawid_skene": {
            "call": "crowdkit.aggregation.DawidSkene(n_iter=100, tol=1e-5).fit(df)",
            "iterations": ck_iter,
            "consensus": ck_cons,
            "accuracy": acc(ck_cons),
            "agrees_with_given_label": agrees_with_given(given, ck_cons),
            "priors": {str(k): float(v) for k, v in ds.priors_.items()},
            "estimated_accuracy": ck_est,
        },
        "contract_dawid_skene": {
            "note": "numpy implementation of spotcheck's contract in make_crowd_reference.py (not a package)",
            "iterations": ct_iter,
            "samples_with_all_zero_posterior": zero_rows,
            "consensus": ct_cons,
            "accuracy": acc(ct_cons),
            "agreement_with_crowd_kit": float(np.mean([a == b for a, b in both])),
            "agrees_with_given_label": agrees_with_given(given, ct_cons),
            "estimated_accuracy": ct_est,
        },
        "annotator_kinds": dict(zip(kinds["annotator"], kinds["kind"])),
    }
    # The bars: spammers and the adversarial annotator get the lowest estimated accuracies.
    bad = {w for w, k in ref["annotator_kinds"].items() if k in ("spammer", "adversarial")}
    for est in (ck_est, ct_est):
        lowest = sorted(est, key=est.get)[:len(bad)]
        assert set(lowest) == bad, (lowest, bad)
    dump(d, ref)
    return ref


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    refs = {"kripp-doc": kripp_doc(), "fleiss": fleiss_diagnoses(), "fleiss-wiki": fleiss_wiki(), "sim": sim()}
    for name, r in refs.items():
        line = f"{name}: {r['num_samples']} samples, {r['num_annotations']} judgements; {r['agreement']}"
        if "crowd_kit_dawid_skene" in r:
            ck, ct = r["crowd_kit_dawid_skene"], r["contract_dawid_skene"]
            line += (f"\n  vote acc {r['vote']['accuracy']:.4f}; crowd-kit DS acc {ck['accuracy']:.4f} "
                     f"({ck['iterations']} iterations); contract DS acc {ct['accuracy']:.4f} "
                     f"({ct['iterations']} iterations, {ct['agreement_with_crowd_kit']:.4%} same as crowd-kit, "
                     f"{ct['samples_with_all_zero_posterior']} all-zero posteriors)")
        print(line)
    for d in sorted(OUT.iterdir()):
        size = sum(f.stat().st_size for f in d.iterdir())
        print(f"  {d.relative_to(ROOT)}: {size / 1024:.0f} KB")
        assert size < 300 * 1024, d


if __name__ == "__main__":
    main()
