"""`make bench`: run every bench/bench_*.py in turn; each prints its own ratios.

By default the sizes are small enough for the whole set to finish in minutes;
`make bench FULL=1` uses the sizes the issues name (the 200,000-article search
index alone takes about half an hour on a 2-core machine).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

QUICK = {
    "bench_import.py": ["--files", "20000"],
    "bench_publish.py": ["--files", "2000"],
    "bench_recheck.py": ["--articles", "2000"],
    "bench_search.py": ["--articles", "10000"],
}
FULL = {
    "bench_import.py": ["--files", "200000"],
    "bench_publish.py": ["--files", "200000"],
    "bench_recheck.py": ["--articles", "10000"],
    "bench_search.py": ["--articles", "200000"],
    "bench_workers.py": ["--sources", "5000"],
}

sizes = FULL if os.environ.get("FULL") else QUICK
failed = 0
for script in sorted(Path(__file__).parent.glob("bench_*.py")):
    args = sizes.get(script.name, [])
    print(f"== {script.name} {' '.join(args)}", flush=True)
    failed |= subprocess.call([sys.executable, str(script), *args]) != 0
sys.exit(1 if failed else 0)
