"""`scn restore INPUT... -o OUT`: restore people's own images with a shipped or given model."""

from __future__ import annotations

import argparse
import glob
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..data.io import IMAGE_SUFFIXES
from ..errors import ScnError
from ..progress import Progress
from ..inference.api import quality_in_range
from ..inference.cache import RestorerCache
from ..inference.engine import DEFAULT_MAX_MEMORY, Restorer, onnx_forward
from ..inference.export import read_onnx_config
from ..inference.int8 import check_precision
from ..inference.images import DEFAULT_MAX_PIXELS, WRITE_SUFFIXES, Picture, read_picture, write_picture
from ..resolve import DEFAULT, ModelSource, ResolveError, check_fits, is_checkpoint_path, resolve
from ..tasks import TASKS, Task, get_task
from ..zoo import named_entries
from .options import add_task_options, task_and_setting


def add_parser(sub: Any) -> None:
    p = sub.add_parser("restore", help="restore your own images (super-resolve, denoise, remove JPEG artifacts)",
                       description="Restore images with the shipped model for the task, or --model.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or glob patterns")
    p.add_argument("-o", "--output", required=True, metavar="OUT", help="an output file (one input) or a folder")
    add_task_options(p, None, "sr, denoise or jpeg (default: the task of --model's weights; needed without "
                              "--model)")
    p.add_argument("--model", metavar="NAME|PATH",
                   help="a shipped model (`scn models --pretrained`), a checkpoint or an exported .onnx "
                        "(default: the shipped one for the task, setting and picture)")
    p.add_argument("--luma-only", action="store_true",
                   help="denoise / jpeg on colour images: restore the luma with the shipped gray model even where "
                        "a colour model ships (Cb/Cr kept)")
    p.add_argument("--backend", choices=("torch", "onnxruntime"), default="torch",
                   help="onnxruntime runs a model exported by `scn export` (--model FILE.onnx)")
    p.add_argument("--ensemble", action="store_true", help="x8 flips/rotations averaged (slower, a bit better)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (faster on big images)")
    p.add_argument("--precision", default="fp32", metavar="{fp32,bf16,int8}",
                   help="bf16: convolutions in bf16 (autocast), for a CPU with bf16 instructions (AMX, AVX-512 "
                        "BF16) or CUDA; elsewhere fp32 with a note. int8: the model quantized to 8-bit integers and "
                        "run by ONNX Runtime on the CPU (models that lose more than 0.05 dB run in fp32 with a note). Speed and "
                        "quality of each: docs/speed.md; default fp32")
    p.add_argument("--tile", type=int, help="tile size in input pixels (0: never tile; default: automatic)")
    p.add_argument("--tile-overlap", type=int, help="overlap between tiles (default: the coarsest level's field)")
    p.add_argument("--max-memory", type=float, default=DEFAULT_MAX_MEMORY / 1e9, metavar="GB",
                   help="tile automatically above this much activation memory (default %(default)g)")
    p.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="refuse larger images")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--half", action="store_true", help="fp16 on CUDA")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--skip-existing", action="store_true",
                   help="leave inputs whose output exists (to finish a folder an earlier run stopped in)")
    p.add_argument("--recursive", action="store_true", help="also restore the images in folders' subfolders "
                                                            "(mirrored under OUT)")
    p.add_argument("--jpeg-quality", type=int, default=95, help="quality of JPEG (and lossy WebP) outputs")
    p.add_argument("--no-progress", action="store_true", help="no progress bar, nor its log lines")
    p.set_defaults(run=run)


MIN_TILE = 32  # smaller tiles spend most of their time on overlap: thousands of them for a photo


def check_options(args: argparse.Namespace) -> None:
    """Every number and combination checked before any work, each with a one-line error."""
    if not (math.isfinite(args.max_memory) and args.max_memory > 0):
        raise ScnError(f"--max-memory {args.max_memory:g} is not allowed; give a positive number of GB (e.g. 1.5)")
    if args.tile is not None and args.tile != 0 and args.tile < MIN_TILE:
        raise ScnError(f"--tile {args.tile} is not allowed; use 0 (never tile) or at least {MIN_TILE} input pixels "
                       "(small tiles cost thousands of passes)")
    if args.tile_overlap is not None and args.tile_overlap < 0:
        raise ScnError(f"--tile-overlap {args.tile_overlap} is not allowed; it must be >= 0")
    if args.max_pixels < 1:
        raise ScnError(f"--max-pixels {args.max_pixels} is not allowed; it must be >= 1")
    if not 1 <= args.jpeg_quality <= 100:
        raise ScnError(f"--jpeg-quality {args.jpeg_quality} is not allowed; use 1..100")
    check_precision(args.precision, args.device)
    if args.precision == "int8" and (args.backend == "onnxruntime" or args.half or args.compile):
        raise ScnError("--precision int8 quantizes the model itself and runs it with ONNX Runtime; drop --backend, "
                       "--half and --compile")
    if args.precision == "bf16" and (args.backend == "onnxruntime" or args.half):
        raise ScnError("--precision bf16 runs the PyTorch model under bf16 autocast; drop --backend and --half")
    if args.overwrite and args.skip_existing:
        raise ScnError("--overwrite and --skip-existing contradict each other; choose one")
    args.task.check_luma_only(args.luma_only, model_given=bool(args.model))


def expand_inputs(items: list[str], recursive: bool = False) -> list[tuple[Path, Path]]:
    """(input file, its output path relative to OUT) for files as given, folders' images (sorted; with
    `recursive`, their subfolders' too, mirrored under OUT) and glob patterns; an error when nothing matches."""
    out: list[tuple[Path, Path]] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files = path.rglob("*") if recursive else path.iterdir()
            found = sorted(p for p in files if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not recursive:
                subfolders = sum(1 for p in path.iterdir() if p.is_dir())
                if subfolders:
                    print(f"scn restore: {path}: {subfolders} subfolder(s) not searched (add --recursive)",
                          file=sys.stderr)
            if not found:
                raise ScnError(f"{path}: no images in this folder" + ("" if recursive else " (subfolders: --recursive)"))
            out.extend((p, p.relative_to(path)) for p in found)
        elif path.exists() or not glob.has_magic(item):
            out.append((path, Path(path.name)))
        else:
            matches = sorted(Path(m) for m in glob.glob(item) if Path(m).is_file())
            if not matches:
                raise ScnError(f"{item}: no file matches this pattern")
            out.extend((m, Path(m.name)) for m in matches)
    return list(dict.fromkeys(out))


def output_paths(inputs: list[tuple[Path, Path]], output: Path) -> list[Path]:
    """Where each input's result goes: OUT itself for one input and an image-file OUT, else OUT/<relative name>
    (the input's format where it can be written, else PNG)."""
    suffix = output.suffix.lower()
    if len(inputs) == 1 and suffix and not output.is_dir():
        if suffix not in WRITE_SUFFIXES:
            raise ScnError(f"{output}: unknown output format {output.suffix!r}; use one of "
                           f"{', '.join(sorted(WRITE_SUFFIXES))} (or a folder)")
        return [output]
    if output.exists() and not output.is_dir():
        raise ScnError(f"{output}: with several inputs the output must be a folder")
    if suffix in WRITE_SUFFIXES and not output.exists():
        raise ScnError(f"{output}: with several inputs the output must be a folder, not an image file name")
    names = [rel.with_suffix(rel.suffix if rel.suffix.lower() in WRITE_SUFFIXES else ".png") for _, rel in inputs]
    if len(set(names)) != len(names):
        raise ScnError("two inputs have the same file name; restore them into different folders")
    try:
        output.mkdir(parents=True, exist_ok=True)
        for parent in {n.parent for n in names}:
            (output / parent).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ScnError(f"{output}: cannot create the output folder ({e.strerror or e})") from None
    return [output / n for n in names]


def make_restorer(args: argparse.Namespace, setting: int | None, source: ModelSource | None) -> Restorer:
    """The restorer of `source` (--model or the default, resolved for a picture) at `setting`; of the exported
    --model with --backend onnxruntime (no source)."""
    common = dict(device=args.device, half=args.half, ensemble=args.ensemble, tile=args.tile,
                  tile_overlap=args.tile_overlap, max_memory=args.max_memory * 1e9, progress=not args.no_progress,
                  noise_level=args.task.level_input(setting))
    if args.backend == "onnxruntime":
        if not args.model or Path(args.model).suffix != ".onnx":
            raise ScnError("--backend onnxruntime needs --model FILE.onnx (made by `scn export --format onnx`)")
        config = read_onnx_config(args.model)
        try:
            check_fits(config, args.task, setting, args.model)
        except ResolveError as e:
            raise ScnError(f"{e}: it does not fit this task / setting") from None
        return Restorer(config=config, forward=onnx_forward(args.model, args.device), **common)
    assert source is not None
    return Restorer.at_precision(source.load(), args.precision, compile=args.compile, **common)


class Restorers:
    """The restorer of each picture: the given model's, or the shipped default of the picture's kind (a colour
    model for colour pictures of denoising and JPEG where one ships, unless --luma-only) and setting (the quality a
    JPEG file says, where --quality is not given); each made once."""

    def __init__(self, args: argparse.Namespace, setting: int | None) -> None:
        self.args, self.setting = args, setting
        self.made = RestorerCache()  # by model (and the sigma it is told)
        self.by_kind: dict[tuple[int | None, int | None], tuple[str, ModelSource | None]] = {}  # resolved once
        self.get(None)  # the model checked and loaded before any work

    def labelled(self, pic: Picture | None, setting: int | None = None) -> tuple[str, Restorer]:
        """(the model's name, its restorer) for `pic` at `setting` (default: the command's)."""
        a = self.args
        setting = self.setting if setting is None else setting
        channels = None if a.model or pic is None else a.task.model_channels(pic.gray_for(a.task), a.luma_only)
        if (channels, setting) not in self.by_kind:  # resolved (and checked against the task) once per kind
            source = None if a.backend == "onnxruntime" else resolve(a.model or DEFAULT, a.task, setting,
                                                                     channels=channels)
            self.by_kind[(channels, setting)] = (str(a.model) if a.model or source is None else source.label,
                                                 source)
        label, source = self.by_kind[(channels, setting)]
        return self.made.get((label, a.task.level_input(setting)),  # a denoiser may be told its sigma
                             lambda: (label, make_restorer(a, setting, source)))

    def get(self, pic: Picture | None, setting: int | None = None) -> Restorer:
        return self.labelled(pic, setting)[1]

    def file_quality(self, src: Path, pic: Picture) -> tuple[int | None, str | None]:
        """Without a setting or --model: the level `src` says it has (a JPEG's quality, from its quantization
        tables), as the setting to restore at where a shipped model takes it (else None: the blind model), and the
        line that says so; (None, None) for other files and commands."""
        a = self.args
        if self.setting is not None or a.model:
            return None, None
        found = a.task.setting_in_file(src)
        if found is None:
            return None, None
        channels = a.task.model_channels(pic.gray_for(a.task), a.luma_only)
        setting = quality_in_range(found, a.task, channels)  # None: past all
        return setting, f"{src.name}: {found.describe()}, read from its quantization tables; restoring with " \
            f"{self.labelled(pic, setting)[0]}"


def implied_task(args: argparse.Namespace) -> Task:
    """--task, or the task of the weights --model names; a one-line error when neither says it."""
    if args.task:
        return get_task(args.task)
    if not args.model:
        raise ScnError(f"say what to do: --task {' | '.join(TASKS)} (e.g. --task sr --scale 2), or --model naming "
                       "weights")
    if Path(args.model).suffix == ".onnx":
        return read_onnx_config(args.model).task
    try:
        return resolve(args.model).config.task
    except ResolveError as e:
        raise ScnError(f"{e}; or give --task") from None


def implied_setting(args: argparse.Namespace, setting: int | None) -> int | None:
    """The setting asked for, or, when none was given, the one --model was made for: an SR model's scale, a
    fixed-level shipped model's noise level or quality (said on stderr)."""
    t = args.task
    given = getattr(args, t.setting) is not None
    if not args.model or args.model == DEFAULT or given or args.backend == "onnxruntime":
        return setting
    if t.resizes:
        implied: int | None = resolve(args.model, weights=False).config.scale
    else:
        entries = [] if is_checkpoint_path(args.model) else named_entries(str(args.model))
        implied = int(entries[0].levels[0]) if len(entries) == 1 and not entries[0].blind else None
    if implied is None or implied == setting:
        return setting
    print(f"scn restore: {t.flag} {implied} (what {args.model} was made for)", file=sys.stderr)
    return implied


def check_writable(folder: Path) -> None:
    """A one-line error before any work when results cannot be written in `folder` (created if missing)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".scn-write-test-"):
            pass
    except OSError as e:
        raise ScnError(f"{folder}: cannot write results there ({e.strerror or e})") from None


def run(args: argparse.Namespace) -> int:
    args.task = implied_task(args)
    check_options(args)
    _, setting = task_and_setting(args)
    setting = implied_setting(args, setting)
    pairs = expand_inputs(args.inputs, args.recursive)
    outputs = output_paths(pairs, Path(args.output))
    for folder in dict.fromkeys(o.parent for o in outputs):
        check_writable(folder)
    inputs = [src for src, _ in pairs]
    if args.skip_existing:
        keep = [i for i, dst in enumerate(outputs) if not dst.exists()]
        if len(keep) < len(inputs):
            print(f"scn restore: skipping {len(inputs) - len(keep)} input(s) whose output exists", file=sys.stderr)
        inputs, outputs = [inputs[i] for i in keep], [outputs[i] for i in keep]
        if not inputs:
            return 0
    restorers = Restorers(args, setting)
    failures = 0
    bar = Progress(len(inputs), "restore", "images", enabled=not args.no_progress and len(inputs) > 1)
    for src, dst in zip(inputs, outputs):
        bar.set_postfix(src.name)
        try:
            if dst.exists() and dst.resolve() == src.resolve():
                raise ScnError("refusing to overwrite the input; choose another output")
            if dst.exists() and not args.overwrite:
                raise ScnError(f"{dst} exists; add --overwrite to replace it")
            pic = read_picture(src, args.max_pixels)
            file_setting, note = restorers.file_quality(src, pic)
            if note:
                bar.write(f"scn restore: {note}", file=sys.stderr)
            restorer = restorers.get(pic, file_setting)
            restored = restorer.restore(pic)
            if restorer.estimated_level is not None:
                bar.write(f"scn restore: {src.name}: noise level sigma {restorer.estimated_level:g}, estimated from "
                          "the picture (Chen et al. 2015); --sigma sets another", file=sys.stderr)
            write_picture(restored, dst, quality=args.jpeg_quality)
        except ScnError as e:
            failures += 1
            message = str(e) if str(e).startswith(str(src)) else f"{src}: {e}"
            bar.write(f"scn restore: {message}", file=sys.stderr)
        except MemoryError:
            failures += 1
            bar.write(f"scn restore: {src}: out of memory; use --tile 256 or a lower --max-memory", file=sys.stderr)
        bar.update(1)
    bar.close()
    done = len(inputs) - failures
    if len(inputs) > 1:  # one picture's failure is its own one line
        print(f"restored {done} of {len(inputs)} image(s) into {args.output}", file=sys.stderr)
    return 0 if failures == 0 else 1
