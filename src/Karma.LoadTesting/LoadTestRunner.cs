using Grpc.Core;
using Grpc.Net.Client;
using Karma.Core.Package;
using Karma.Serving.Contracts.V1;

namespace Karma.LoadTesting;

/// <summary>Settings of one open-loop run.</summary>
public sealed record LoadTestOptions
{
    /// <summary>Service address.</summary>
    public required string Target { get; init; }

    /// <summary>Requests per second.</summary>
    public double Rate { get; init; } = 100;

    /// <summary>Run length.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Requests in flight at most; a due request waits for a slot (and that wait counts as latency). For a storm, set
    /// it well above storm rate × deadline (e.g. 5000) so the client is never what limits the load.
    /// </summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Request kinds and weights.</summary>
    public string Mix { get; init; } = "search:80,recall:10,prerank:10";

    /// <summary>Per-call deadline.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Random seed of the generated requests.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Load sent before measuring (connection set-up, JIT on both sides); not recorded.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A burst at a higher rate during the run (before/storm/after phases), or null for a constant rate.</summary>
    public StormSettings? Storm { get; init; }

    /// <summary>Health probes beside the load, or null for none.</summary>
    public HealthProbeOptions? Health { get; init; }
}


/// <summary>What a run produced: the result, every request on a timeline, and the health probes.</summary>
/// <param name="Result">The figures (what loadtest.json holds).</param>
/// <param name="Timeline">Requests by due time (every k-th for very long runs: <see cref="LoadTestResult.TimelineStride"/>).</param>
/// <param name="Probes">Health probes by send time (empty without probing).</param>
public sealed record LoadTestRun(LoadTestResult Result, IReadOnlyList<TimelinePoint> Timeline, IReadOnlyList<ProbePoint> Probes)
{
    /// <summary>The result and the timeline, as callers of the first version of the runner took them.</summary>
    public void Deconstruct(out LoadTestResult result, out IReadOnlyList<TimelinePoint> timeline)
    {
        result = Result;
        timeline = Timeline;
    }
}

/// <summary>
/// Sends requests on an open-loop schedule (on time, not after the previous answer) and records latency from
/// each request's due time with HdrHistogram, so stalls are not hidden (coordinated omission).
/// </summary>
public sealed class LoadTestRunner(ItemCatalog catalog)
{
    private readonly ContextSampler _contexts = new(catalog);

    /// <summary>Runs once; <paramref name="progress"/> gets a line a second.</summary>
    public Task<LoadTestRun> RunAsync(LoadTestOptions options, TextWriter? progress = null, CancellationToken cancellationToken = default)
        => RunAsync(options, progress, [], cancellationToken);

    /// <summary>
    /// Runs once; <paramref name="progress"/> gets a line a second. <paramref name="companions"/> run beside the load
    /// (e.g. metric sampling) from the start until the last request has finished.
    /// </summary>
    public async Task<LoadTestRun> RunAsync(LoadTestOptions options, TextWriter? progress, IReadOnlyList<IRunCompanion> companions,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(companions);
        ArgumentNullException.ThrowIfNull(options);
        var mix = RequestMix.Parse(options.Mix);
        var (schedule, phases) = StormPlan.Build(options.Rate, options.Duration, options.Warmup, options.Storm);
        var warmup = options.Warmup;
        using var channel = GrpcChannel.ForAddress(options.Target, new GrpcChannelOptions
        {
            // Kestrel allows 100 streams per HTTP/2 connection; thousands in flight need more connections.
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var client = new Retrieval.RetrievalClient(channel);
        var recorder = new LatencyRecorder();
        var phaseRecorders = phases.Select(_ => new LatencyRecorder()).ToArray();
        var kinds = new ConcurrentCounter();
        var timeline = new RequestTimeline(schedule.Count);
        var prober = options.Health is null ? null : new HealthProber(options.Health, phases);
        var sideTasks = new List<IRunCompanion>(companions);
        if (prober is not null)
        {
            sideTasks.Add(prober);
        }

        using var slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        var inFlight = new InFlightCounter();
        var rng = new Random(options.Seed);
        var clock = new RunClock(warmup);
        using var stop = new CancellationTokenSource();
        var running = sideTasks.Select(c => c.RunAsync(clock, stop.Token)).ToList();
        long sentSoFar = 0;
        running.Add(ReportProgressAsync(progress, clock, schedule, () => Interlocked.Read(ref sentSoFar), inFlight, recorder, phases, phaseRecorders, sideTasks, stop.Token));
        try
        {
            for (long i = 0; i < schedule.Count && !cancellationToken.IsCancellationRequested; i++)
            {
                var due = schedule.DueAt(i);
                // Never send before the due time: timers may wake a little early, so the last stretch yields until due.
                for (var wait = due - clock.Elapsed; wait > TimeSpan.Zero; wait = due - clock.Elapsed)
                {
                    if (wait > TimeSpan.FromMilliseconds(2))
                    {
                        await Task.Delay(wait - TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        Thread.Yield();
                    }
                }

                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                string kind = mix.Pick(rng.NextDouble());
                var measuredDue = due - warmup;
                bool recorded = measuredDue >= TimeSpan.Zero;
                if (recorded)
                {
                    kinds.Add(kind);
                }

                Func<DateTime, Task> call = MakeCall(client, kind, rng);
                var sent = clock.Elapsed;
                var deadline = DateTime.UtcNow + options.Deadline;
                long index = i;
                int phase = LoadPhase.IndexAt(phases, measuredDue);
                inFlight.Add();
                Interlocked.Increment(ref sentSoFar);
                _ = Task.Run(async () =>
                {
                    short code = 0;
                    try
                    {
                        await call(deadline).ConfigureAwait(false);
                    }
                    catch (RpcException e)
                    {
                        code = (short)e.StatusCode;
                    }
                    catch (Exception)
                    {
                        // Should not happen (the client turns transport failures into RpcException), but a failure
                        // must never be counted as a success, nor escape this fire-and-forget task.
                        code = CallStatus.ClientErrorCode;
                    }
                    finally
                    {
                        var timing = new RequestTiming(due, sent, clock.Elapsed);
                        if (recorded)
                        {
                            string? status = code == 0 ? null : CallStatus.Name(code);
                            recorder.Record(timing, status, options.Deadline);
                            if (phase >= 0)
                            {
                                phaseRecorders[phase].Record(timing, status, options.Deadline);
                            }

                            timeline.Set(index, new TimelinePoint(measuredDue.TotalSeconds, (float)timing.Corrected.TotalMilliseconds, code));
                        }

                        slots.Release();
                        inFlight.Done();
                    }
                }, CancellationToken.None);
            }
        }
        finally
        {
            await inFlight.SealAsync().ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(running).ConfigureAwait(false);
        }

        double seconds = Math.Max(clock.Elapsed.TotalSeconds - warmup.TotalSeconds, 1e-9);
        long errors = recorder.Errors.Values.Sum();
        var points = timeline.Points();
        var result = new LoadTestResult
        {
            Target = options.Target,
            Rate = options.Rate,
            DurationSeconds = options.Duration.TotalSeconds,
            Sent = recorder.Completed,
            AchievedRate = (recorder.Completed - errors) / seconds,
            Corrected = Percentiles.Of(recorder.Corrected),
            Uncorrected = Percentiles.Of(recorder.Uncorrected),
            Errors = recorder.Errors,
            Mix = kinds.Snapshot(),
            ByStatus = recorder.ByStatus(),
            DeadlineMs = options.Deadline.TotalMilliseconds,
            LateOk = recorder.LateOk,
            Phases = phases.Count == 0 ? null : phases.Select((p, i) => new PhaseResult
            {
                Name = p.Name,
                StartSeconds = p.Start.TotalSeconds,
                EndSeconds = p.End.TotalSeconds,
                Rate = p.Rate,
                Sent = phaseRecorders[i].Completed,
                Ok = phaseRecorders[i].Count(CallStatus.Ok),
                LateOk = phaseRecorders[i].LateOk,
                ByStatus = phaseRecorders[i].ByStatus(),
            }).ToArray(),
            Probes = prober?.Summaries(),
            PerSecond = TimelineAnalysis.PerSecond(points, options.Duration.TotalSeconds),
            TimelineStride = timeline.Stride,
        };
        return new LoadTestRun(result, points, prober?.Points() ?? []);
    }

    private static async Task ReportProgressAsync(TextWriter? progress, RunClock clock, ILoadSchedule schedule, Func<long> sent, InFlightCounter inFlight,
        LatencyRecorder recorder, IReadOnlyList<LoadPhase> phases, LatencyRecorder[] phaseRecorders, IReadOnlyList<IRunCompanion> companions, CancellationToken stop)
    {
        if (progress is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                int phase = LoadPhase.IndexAt(phases, clock.Measured);
                var current = phase >= 0 ? phaseRecorders[phase] : recorder;
                string where = clock.Measured < TimeSpan.Zero ? "warm-up" : phase >= 0 ? phases[phase].Name : "run";
                string notes = string.Join("; ", companions.Select(c => c.ProgressNote).Where(n => !string.IsNullOrEmpty(n)));
                progress.WriteLine($"[loadtest] {clock.Elapsed.TotalSeconds,5:F0} s {where,-7} sent {sent()}/{schedule.Count}  in flight {inFlight.Count}  done {recorder.Completed}  ok p99 {Ms(current.CorrectedMs(99))}  errors {FormatErrors(current.Errors)}"
                    + (notes.Length > 0 ? "  " + notes : ""));
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private static string Ms(double ms) => double.IsNaN(ms) ? "-" : $"{ms:F1} ms";

    private static string FormatErrors(IReadOnlyDictionary<string, long> errors)
        => errors.Count == 0 ? "0" : string.Join(", ", errors.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value}"));

    private Func<DateTime, Task> MakeCall(Retrieval.RetrievalClient client, string kind, Random rng)
    {
        var context = ContextSampler.ToProto(_contexts.Next(rng));
        switch (kind)
        {
            case "recall":
                return async deadline => await client.RecallAsync(new RecallRequest { Context = context, K = 1000 }, deadline: deadline);
            case "prerank":
                var request = new PreRankRequest { Context = context, TopN = 50 };
                for (int c = 0; c < 200; c++)
                {
                    request.ItemIds.Add(_contexts.RandomItem(rng));
                }

                return async deadline => await client.PreRankAsync(request, deadline: deadline);
            case "encode":
                return async deadline => await client.EncodeAsync(new EncodeRequest { Context = context }, deadline: deadline);
            default:
                return async deadline => await client.SearchAsync(new SearchRequest { Context = context, RecallK = 1000, TopN = 100 }, deadline: deadline);
        }
    }
}
