def write_build_report(report):
    """Pipeline on_finish: which tasks this build ran."""
    with open("products/last-build.txt", "w") as f:
        for row in report:
            f.write(f"{row['name']}: {'ran' if row['ran'] else 'up to date'}\n")


def write_failure(traceback, path):
    """Pipeline on_failure: why the build failed (`path` comes from pipeline.yaml)."""
    with open(path, "w") as f:
        f.write(traceback["build"] + "\n")
