"""A toy conformance runner in plain Python (no swoole_compat): GET over a socket, nothing else.

    swoole-compat conformance --runner "python3 conformance/toy_runner.py" --only 'get_default_request,resp_chunked,connect_refused'
"""
import json, os, socket, sys

class Client:  # the public state the kit compares after every step
    def __init__(self, host, port, ssl=False):
        self.host, self.port, self.sock, self.out = host, port, None, False
        self.statusCode, self.errCode, self.errMsg = 0, 0, ""
        self.headers, self.body, self.cookies, self.connected = None, "", None, False
    def set(self, options): return True
    def getHeaderOut(self): return self.out and self.out[:-4]  # without the blank line
    def get(self, path):
        try:
            self.sock = self.sock or socket.create_connection((self.host, self.port), timeout=2)
        except OSError as e:
            self.statusCode, self.errCode, self.errMsg = -1, e.errno, os.strerror(e.errno)
            return False
        self.connected = True
        self.out = (f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nConnection: keep-alive\r\n"
                    "Accept-Encoding: gzip, deflate, br\r\n\r\n")
        self.sock.sendall(self.out.encode())
        f = self.sock.makefile("rb")
        self.statusCode = int(f.readline().split()[1])
        self.headers = {}
        while (line := f.readline().decode().rstrip("\r\n")):
            k, v = line.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        if self.headers.get("transfer-encoding") == "chunked":
            body = b""
            while (size := int(f.readline(), 16)):
                body += f.read(size); f.readline()
            f.readline()
        else:
            body = f.read(int(self.headers.get("content-length", 0)))
        self.body = body.decode()
        return True

def main(path):
    scenario, clients, steps = json.load(open(path)), {}, []
    for step in scenario["client"]:
        obs, name = {}, step.get("client", "c")
        if "new" in step:
            clients[name] = Client(*step["new"]); obs["return"] = None
        elif "call" in step:
            obs["return"] = getattr(clients[name], step["call"])(*step.get("args", []))
        if name in clients:
            c = clients[name]
            obs["state"] = {k: getattr(c, k) for k in
                            ("statusCode", "errCode", "errMsg", "headers", "body", "cookies", "connected")}
        steps.append(obs)
    print(json.dumps({"runner": "toy", "steps": steps}))

main(sys.argv[1])
