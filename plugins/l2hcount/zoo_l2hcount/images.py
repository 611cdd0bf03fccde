"""Reading user images: any RGB/grayscale 8-bit image of any size; clear errors for the rest.

The header is checked first (format, bit depth, pixel count), so an unusable or too large file is
refused before it is decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from zoo.sdk import InputError

#: PIL modes with 8 bits per channel (or fewer), converted to RGB.
_SUPPORTED_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"}


@contextmanager
def _opened(path: Path, max_pixels: int | None) -> Iterator[Any]:
    """``PIL.Image.open`` with our errors; PIL's own decompression-bomb limit follows ``max_pixels``."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; give the path of an image (JPEG, PNG, ...).")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes); give a non-empty image file.")
    previous = Image.MAX_IMAGE_PIXELS
    if max_pixels is not None and previous is not None:
        Image.MAX_IMAGE_PIXELS = max(previous, max_pixels)  # ours is checked below, with advice
    try:
        with Image.open(path) as img:
            yield img
    except InputError:
        raise  # already says what is wrong (InputError is a ValueError: keep it from the clause below)
    except UnidentifiedImageError:
        raise InputError(f"{path} is not an image PIL can read; give a JPEG, PNG, BMP, TIFF or WebP file.") from None
    except Image.DecompressionBombError as exc:
        raise InputError(f"{path} is refused by PIL's decompression-bomb check ({exc}).") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path} could not be decoded as an image ({exc}); is the file truncated?") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous


def _check_header(img: Any, path: Path, max_pixels: int | None) -> tuple[int, int]:
    width, height = img.size
    if img.mode not in _SUPPORTED_MODES:
        raise InputError(
            f"{path} has PIL mode {img.mode!r} (more than 8 bits per channel, e.g. a 16-bit or "
            "float image); supported are 8-bit RGB/grayscale images. Convert it to 8-bit first."
        )
    if width == 0 or height == 0:
        raise InputError(f"{path} has no pixels ({width}×{height}).")
    if max_pixels is not None and width * height > max_pixels:
        raise InputError(
            f"{path} is {width}×{height} = {width * height:,} pixels, above the limit of {max_pixels:,} "
            "(max_pixels, which bounds the memory of one prediction). Downscale the image, or raise the "
            "limit: zoo.build/zoo.load(..., max_pixels=N) or the processor's max_pixels."
        )
    return width, height


def image_size(path: str | Path, max_pixels: int | None = None) -> tuple[int, int]:
    """``(width, height)`` from the header only (nothing is decoded).

    Raises:
        InputError: if the file is missing, empty, not an image, not 8 bits per channel, or has
            more than ``max_pixels`` pixels.
    """
    path = Path(path)
    with _opened(path, max_pixels) as img:
        return _check_header(img, path, max_pixels)


def read_image(path: str | Path, max_pixels: int | None = None) -> np.ndarray:
    """Read an image file as ``[H, W, 3]`` uint8 RGB (grayscale and palettes are converted).

    Raises:
        InputError: if the file is missing, empty, not an image, truncated, not 8 bits per
            channel, or has more than ``max_pixels`` pixels (checked before decoding).
    """
    path = Path(path)
    with _opened(path, max_pixels) as img:
        _check_header(img, path, max_pixels)
        img.load()
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def read_rgb(path: str | Path, max_pixels: int | None = None) -> np.ndarray:
    """Read an image file as ``[H, W, 3]`` float32 RGB in ``[0, 1]``.

    Raises:
        InputError: as :func:`read_image`.
    """
    return read_image(path, max_pixels).astype(np.float32) / 255.0
