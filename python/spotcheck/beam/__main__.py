"""`python -m spotcheck.beam scan|stats ...`"""

import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("scan", "stats"):
        print(
            "usage: python -m spotcheck.beam scan --input GLOB --output PREFIX "
            "[--labels MANIFEST] [--thumbnails SIZE] [Beam options]\n"
            "       python -m spotcheck.beam stats --manifest GLOB --predictions GLOB "
            "[--split NAME] [--bins N] [--output FILE] [Beam options]",
            file=sys.stderr,
        )
        return 2
    if argv[0] == "scan":
        from .scan import main as scan_main

        return scan_main(argv[1:])
    from .stats import main as stats_main

    return stats_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
