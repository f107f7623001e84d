#!/usr/bin/python3
"""Where a .NET process's busy time went, by layer, from a dotnet-trace Speedscope file.

    tools/profile/layers.py TRACE.speedscope.json [--calls N] [--detail LAYER ...]

dotnet-trace's sampled-thread-time profile samples every thread's stack about 100 times a second, busy or not.
Samples whose innermost real frame is a wait (thread-pool semaphore, Monitor.Wait, socket event loop, finalizer,
timers, file watcher, console logger) are dropped; each remaining sample goes to the layer of its innermost frame
that belongs to a known layer (ONNX Runtime inside our pipeline counts as ONNX Runtime; protobuf called by gRPC counts
as protobuf). With --calls, each layer is also divided by the number of calls served, giving ms per call. Thread
time is wall-clock while runnable, so on a loaded 2-core machine it overstates CPU by the time threads wait for a core;
read the shares, not the absolute figures.
"""
import argparse
import collections
import json

# Innermost frames meaning the thread is waiting, not working.
WAITS = ('LowLevelLifoSemaphore.WaitNative', 'LowLevelLifoSemaphore.WaitForSignal', 'Monitor.Wait', 'WaitHandle.WaitOneNoCheck',
         'FileSystemWatcher', 'FileSystem.Watcher!', 'WorkerThread.WorkerThreadStart', 'Thread.Sleep', 'WaitForSocketEvents', 'SocketAsyncEngine.EventLoop', 'GC.RunFinalizers',
         'Gen2GcCallback', 'ConsoleLoggerProcessor', 'Heartbeat.TimerLoop', 'GateThread', 'TimerQueue', '?!?')
# (layer, substring of a frame name), first match wins for a frame; frames are tried innermost first.
LAYERS = [
    ('ONNX Runtime', 'Microsoft.ML.OnnxRuntime!'),
    ('protobuf', 'Google.Protobuf!'),
    ('telemetry (OpenTelemetry, metrics)', 'OpenTelemetry'),
    ('telemetry (OpenTelemetry, metrics)', 'System.Diagnostics.DiagnosticSource!'),
    ('ours: host (interceptor, admission, wire checks)', 'Karma.Serving!Karma.Serving.Hosting'),
    ('ours: host (interceptor, admission, wire checks)', 'Karma.Serving!Karma.Serving.Wire'),
    ('ours: service and pipeline', 'Karma.'),
    ('Lucene.NET', 'Lucene.Net'),
    ('gRPC server (Grpc.AspNetCore)', 'Grpc.AspNetCore'),
    ('gRPC client (Grpc.Net.Client)', 'Grpc.Net.Client'),
    ('HTTP/2 client (System.Net.Http)', 'System.Net.Http!'),
    ('Kestrel (HTTP/2, pipes)', 'Microsoft.AspNetCore.Server.Kestrel'),
    ('Kestrel (HTTP/2, pipes)', 'System.IO.Pipelines'),
    ('ASP.NET Core (hosting, routing, middleware)', 'Microsoft.AspNetCore.'),
    ('sockets', 'System.Net.Sockets!'),
    ('garbage collection (threads stopped for it)', 'PollGC'),
    ('thread pool (spinning for work)', 'LowLevelSpinWaiter'),
    ('thread pool and tasks (dispatch, continuations)', 'System.Threading'),
]
PSEUDO = ('CPU_TIME', 'UNMANAGED_CODE_TIME')


def layer_of(names):
    for name in reversed(names):
        if name in PSEUDO:
            continue
        for layer, key in LAYERS:
            if key in name:
                return layer
    return 'other'


def waiting(names):
    real = [n for n in names if n not in PSEUDO]
    return not real or any(w in real[-1] for w in WAITS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('trace')
    parser.add_argument('--calls', type=int, help='calls served during the trace: adds ms per call')
    parser.add_argument('--detail', nargs='*', default=[], help='layers whose innermost frames to list')
    args = parser.parse_args()
    with open(args.trace, encoding='utf-8') as f:
        doc = json.load(f)
    frames = [f['name'] for f in doc['shared']['frames']]
    busy = collections.Counter()
    detail = collections.defaultdict(collections.Counter)
    for profile in doc['profiles']:
        stack, last = [], None
        for event in profile['events']:
            at = event['at']
            if last is not None and stack:
                names = [frames[i] for i in stack]
                if not waiting(names):
                    layer = layer_of(names)
                    busy[layer] += at - last
                    detail[layer][next((n for n in reversed(names) if n not in PSEUDO), '?')] += at - last
            last = at
            if event['type'] == 'O':
                stack.append(event['frame'])
            else:
                stack.pop()
    total = sum(busy.values())
    per_call = f' {"ms/call":>8}' if args.calls else ''
    print(f'{"layer":<50} {"busy ms":>9} {"share":>6}{per_call}')
    for layer, ms in busy.most_common():
        extra = f' {ms / args.calls:8.3f}' if args.calls else ''
        print(f'{layer:<50} {ms:9.0f} {100 * ms / total:5.1f}%{extra}')
    print(f'{"total busy thread time":<50} {total:9.0f}')
    for layer in args.detail:
        print(f'\n{layer}: innermost frames')
        for name, ms in detail[layer].most_common(12):
            print(f'  {ms:8.0f} ms  {name[:140]}')


if __name__ == '__main__':
    main()
