"""`location-ops demo` from nothing: serves the login page and its printed logins work."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import httpx

from tests.services import free_port, wait_for_port


def test_demo_serves_login_page_and_printed_logins_work(tmp_path):
    port, mqtt_port = free_port(), free_port()
    env = {**os.environ, "LOCATION_OPS_VAR_DIR": str(tmp_path / "var"), "LOCATION_OPS_DEMO_MQTT_PORT": str(mqtt_port)}
    process = subprocess.Popen([sys.executable, "-m", "location_ops.cli", "demo", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    logins_seen = threading.Event()

    def read() -> None:
        for line in process.stdout:
            output.append(line)
            if "location-ops simulate press" in line:  # the last line the demo prints
                logins_seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert logins_seen.wait(60), "".join(output)
        wait_for_port(port, timeout=60, process=process)
        wait_for_port(mqtt_port, timeout=10, process=process)
        logins = dict(re.findall(r"^\s+(\w+)\s+(demo-\S+)$", "".join(output), flags=re.MULTILINE))
        # The logins come last, once the server runs and the bridge is on the embedded broker,
        # and the broker's INFO chatter does not scroll them away.
        printed = "".join(output)
        first_login = printed.index("Demo logins")
        assert printed.index("Uvicorn running on") < first_login, printed
        assert printed.index("bridge connected to the broker") < first_login, printed
        assert not re.search(r" INFO (amqtt|transitions|alembic)", printed), printed
        assert "location-ops simulate press" in printed[first_login:]
        assert {"operator", "host", "roos", "casework", "security"} <= set(logins)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            page = http.get("/login")
            assert page.status_code == 200 and 'name="password"' in page.text
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            response = http.post("/login", data={"username": "host", "password": logins["host"], "csrf_token": token})
            assert response.status_code == 303 and response.headers["location"] == "/"
            # The host starts on the board (after starting her shift).
            assert http.get("/").headers["location"] == "/reception"
            assert http.get("/reception", follow_redirects=True).status_code == 200
        assert (tmp_path / "var" / "demo.db").exists()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
