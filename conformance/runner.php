<?php
/*
 * Conformance-kit runner for real PHP Swoole (docs/conformance.md, "Runner protocol").
 *
 *   php -d extension=swoole.so conformance/runner.php SCENARIO.json
 *
 * Reads a resolved scenario (placeholders already replaced by the kit), runs its client steps
 * with Swoole\Coroutine\Http\Client inside Swoole\Coroutine\run, and prints one JSON
 * observation document on stdout. Values are encoded as the kit's values.py describes: strings
 * that are valid UTF-8 as JSON strings, other strings as {"b64": ...}, objects as
 * {"$class": ..., <properties except fd>}.
 */

use Swoole\Coroutine;
use Swoole\Coroutine\Channel;
use Swoole\Coroutine\Http\Client;
use Swoole\WebSocket\CloseFrame;
use Swoole\WebSocket\Frame;

const STATE = ['statusCode', 'errCode', 'errMsg', 'headers', 'body', 'cookies', 'connected'];

$GLOBALS['warnings'] = [];
set_error_handler(function (int $no, string $str) {
    if ($no & (E_DEPRECATED | E_USER_DEPRECATED)) {
        return true;
    }
    $GLOBALS['warnings'][] = $str;
    return true;
});

function enc($v)
{
    if (is_null($v) || is_bool($v) || is_int($v) || is_float($v)) {
        return $v;
    }
    if (is_string($v)) {
        return preg_match('//u', $v) ? $v : ['b64' => base64_encode($v)];
    }
    if (is_array($v)) {
        if (array_is_list($v)) {
            return array_map('enc', $v);
        }
        $o = new stdClass();
        foreach ($v as $k => $x) {
            $o->{(string)$k} = enc($x);
        }
        return $o;
    }
    if (is_object($v)) {
        $parts = explode('\\', get_class($v));
        $o = ['$class' => end($parts)];
        foreach (['opcode', 'flags', 'finish', 'data', 'code', 'reason'] as $f) {
            if (property_exists($v, $f)) {
                $o[$f] = enc($v->$f);
            }
        }
        return $o;
    }
    return (string)$v;
}

class Runner
{
    public array $clients = [];
    public array $collected = [];
    public array $chans = [];

    function arg($v)
    {
        if (is_array($v) && !array_is_list($v)) {
            if (count($v) == 1 && array_key_exists('b64', $v)) {
                return base64_decode($v['b64']);
            }
            if (count($v) == 1 && array_key_exists('latin1', $v)) {
                return @utf8_decode($v['latin1']);
            }
            if (array_key_exists('$callback', $v)) {
                $id = $v['id'] ?? 'w';
                $this->collected[$id] = $this->collected[$id] ?? [];
                $self = $this;
                if ($v['$callback'] === 'collect_false') {
                    return function ($cli, $data) use ($self, $id) {
                        $self->collected[$id][] = $data;
                        return false;
                    };
                }
                return function ($cli, $data) use ($self, $id) {
                    $self->collected[$id][] = $data;
                };
            }
            if (array_key_exists('$frame', $v) || array_key_exists('$closeframe', $v)) {
                $f = array_key_exists('$frame', $v) ? new Frame() : new CloseFrame();
                foreach ($v['$frame'] ?? $v['$closeframe'] as $k => $x) {
                    $f->$k = $this->arg($x);
                }
                return $f;
            }
        }
        if (is_array($v)) {
            $out = [];
            foreach ($v as $k => $x) {
                $out[$k] = $this->arg($x);
            }
            return $out;
        }
        return $v;
    }

    function state($c)
    {
        $s = [];
        foreach (STATE as $p) {
            $s[$p] = enc($c->$p ?? null);
        }
        return $s;
    }

    function runSteps(array $steps): array
    {
        $out = [];
        foreach ($steps as $step) {
            $out[] = $this->runStep($step);
        }
        return $out;
    }

    function runStep(array $step)
    {
        $obs = [];
        $name = $step['client'] ?? 'c';
        $mark = count($GLOBALS['warnings']);
        $t0 = microtime(true);
        try {
            if (array_key_exists('new', $step)) {
                $this->clients[$name] = new Client(...$this->arg($step['new']));
                $obs['return'] = null;
            } elseif (array_key_exists('call', $step)) {
                $c = $this->clients[$name];
                $obs['return'] = enc($c->{$step['call']}(...$this->arg($step['args'] ?? [])));
            } elseif (array_key_exists('static', $step)) {
                [$cls, $meth] = explode('.', $step['static']);
                $cls = $cls === 'Frame' ? Frame::class : CloseFrame::class;
                $obs['return'] = enc($cls::$meth(...$this->arg($step['args'] ?? [])));
            } elseif (array_key_exists('read', $step)) {
                $c = $this->clients[$name];
                $r = [];
                foreach ($step['read'] as $p) {
                    $r[$p] = enc($c->$p ?? null);
                }
                $obs['return'] = (object)$r;
            } elseif (array_key_exists('sleep', $step)) {
                Coroutine::sleep((float)$step['sleep']);
            } elseif (array_key_exists('spawn', $step)) {
                $ch = new Channel(1);
                $this->chans[$step['id']] = $ch;
                $steps = $step['spawn'];
                Coroutine::create(function () use ($ch, $steps) {
                    $ch->push($this->runSteps($steps));
                });
            } elseif (array_key_exists('join', $step)) {
                $obs['return'] = $this->chans[$step['join']]->pop();
                unset($this->chans[$step['join']]);
            } elseif (array_key_exists('collected', $step)) {
                $obs['return'] = enc($this->collected[$step['collected']] ?? []);
            } elseif (array_key_exists('read_file', $step)) {
                $d = @file_get_contents($step['read_file']);
                $obs['return'] = $d === false ? false : enc($d);
            } elseif (array_key_exists('write_file', $step)) {
                file_put_contents($step['write_file'], $this->arg($step['data'] ?? ''));
            } else {
                throw new RuntimeException('unknown step ' . json_encode($step));
            }
        } catch (Throwable $e) {
            $map = [
                'Swoole\\Coroutine\\Http\\Client\\Exception' => 'ClientException',
                'Swoole\\Exception' => 'SwooleException',
                'Swoole\\Error' => 'SwooleError',
                'ArgumentCountError' => 'TypeError',
            ];
            $cls = $map[get_class($e)] ?? get_class($e);
            $swoole = in_array($cls, ['ClientException', 'SwooleException', 'SwooleError'], true);
            $obs['exception'] = ['class' => $cls, 'code' => $swoole ? $e->getCode() : 0, 'message' => $e->getMessage()];
        }
        $obs['elapsed'] = round(microtime(true) - $t0, 3);
        $w = array_slice($GLOBALS['warnings'], $mark);
        if ($w) {
            $obs['warnings'] = array_map('enc', $w);
        }
        if ((array_key_exists('new', $step) || array_key_exists('call', $step)) && isset($this->clients[$name])) {
            $obs['state'] = $this->state($this->clients[$name]);
        }
        return $obs;
    }
}

if ($argc != 2) {
    fwrite(STDERR, "usage: php -d extension=swoole.so runner.php SCENARIO.json\n");
    exit(2);
}
$scenario = json_decode(file_get_contents($argv[1]), true);
$doc = null;
Coroutine::set(['hook_flags' => 0]);
Coroutine\run(function () use ($scenario, &$doc) {
    $r = new Runner();
    $steps = $r->runSteps($scenario['client']);
    $doc = ['runner' => 'php-swoole ' . SWOOLE_VERSION, 'steps' => $steps];
});
echo json_encode($doc, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
