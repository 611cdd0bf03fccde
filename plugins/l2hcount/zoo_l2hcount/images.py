"""Reading user images: any RGB/grayscale 8-bit image of any size; clear errors for the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.errors import InputError

#: PIL modes with 8 bits per channel (or fewer), converted to RGB.
_SUPPORTED_MODES = {"1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"}


def read_rgb(path: str | Path) -> np.ndarray:
    """Read an image file as ``[H, W, 3]`` float32 RGB in ``[0, 1]``.

    Raises:
        InputError: if the file is missing, empty, not an image, or not 8 bits per channel.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path} does not exist or is not a file; give the path of an image (JPEG, PNG, ...).")
    if path.stat().st_size == 0:
        raise InputError(f"{path} is empty (0 bytes); give a non-empty image file.")
    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            if mode not in _SUPPORTED_MODES:
                raise InputError(
                    f"{path} has PIL mode {mode!r} (more than 8 bits per channel, e.g. a 16-bit or "
                    "float image); supported are 8-bit RGB/grayscale images. Convert it to 8-bit first."
                )
            rgb = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
    except InputError:
        raise  # already says what is wrong (InputError is a ValueError: keep it from the clause below)
    except UnidentifiedImageError:
        raise InputError(f"{path} is not an image PIL can read; give a JPEG, PNG, BMP, TIFF or WebP file.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{path} could not be decoded as an image ({exc}); is the file truncated?") from None
    if rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise InputError(f"{path} has no pixels ({rgb.shape[1]}×{rgb.shape[0]}).")
    return rgb
