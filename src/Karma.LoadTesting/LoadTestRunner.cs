using System.Collections.Concurrent;
using System.Diagnostics;
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

    /// <summary>Requests in flight at most; a due request waits for a slot (and that wait counts as latency).</summary>
    public int Concurrency { get; init; } = 64;

    /// <summary>Request kinds and weights.</summary>
    public string Mix { get; init; } = "search:80,recall:10,prerank:10";

    /// <summary>Per-call deadline.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Random seed of the generated requests.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Load sent before measuring (connection set-up, JIT on both sides); not recorded.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Sends requests on an open-loop schedule (on time, not after the previous answer) and records latency from
/// each request's due time with HdrHistogram, so stalls are not hidden (coordinated omission).
/// </summary>
public sealed class LoadTestRunner(ItemCatalog catalog)
{
    private readonly ContextSampler _contexts = new(catalog);

    /// <summary>Runs once; <paramref name="progress"/> gets a line a second.</summary>
    public async Task<(LoadTestResult Result, IReadOnlyList<(double DueSeconds, double Ms)> Timeline)> RunAsync(LoadTestOptions options,
        TextWriter? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var mix = RequestMix.Parse(options.Mix);
        var schedule = new OpenLoopSchedule(options.Rate, options.Duration + options.Warmup);
        var warmup = options.Warmup;
        using var channel = GrpcChannel.ForAddress(options.Target, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        });
        var client = new Retrieval.RetrievalClient(channel);
        var recorder = new LatencyRecorder();
        var kinds = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var timeline = new ConcurrentBag<(double, double)>();
        int sampleEvery = (int)Math.Max(1, schedule.Count / 20_000);
        using var slots = new SemaphoreSlim(options.Concurrency, options.Concurrency);
        var rng = new Random(options.Seed);
        var inFlight = new List<Task>();
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(1);
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
            if (due >= warmup)
            {
                kinds.AddOrUpdate(kind, 1, (_, n) => n + 1);
            }

            Func<Task> call = MakeCall(client, kind, rng, options.Deadline);
            var sent = clock.Elapsed;
            long index = i;
            inFlight.Add(Task.Run(async () =>
            {
                string? status = null;
                try
                {
                    await call().ConfigureAwait(false);
                }
                catch (RpcException e)
                {
                    status = e.StatusCode.ToString();
                }
                finally
                {
                    var timing = new RequestTiming(due, sent, clock.Elapsed);
                    if (due >= warmup)
                    {
                        recorder.Record(timing, status);
                        if (index % sampleEvery == 0)
                        {
                            timeline.Add(((due - warmup).TotalSeconds, timing.Corrected.TotalMilliseconds));
                        }
                    }

                    slots.Release();
                }
            }, CancellationToken.None));
            if (clock.Elapsed >= nextReport)
            {
                nextReport += TimeSpan.FromSeconds(1);
                progress?.WriteLine($"[loadtest] {clock.Elapsed.TotalSeconds,5:F0} s  sent {i + 1}/{schedule.Count}  done {recorder.Completed}  p99 {recorder.CorrectedMs(99):F1} ms  errors {recorder.Errors.Values.Sum()}");
            }

            inFlight.RemoveAll(t => t.IsCompleted);
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false);
        double seconds = Math.Max(clock.Elapsed.TotalSeconds - warmup.TotalSeconds, 1e-9);
        long errors = recorder.Errors.Values.Sum();
        var result = new LoadTestResult
        {
            Target = options.Target,
            Rate = options.Rate,
            DurationSeconds = options.Duration.TotalSeconds,
            Sent = recorder.Completed,
            AchievedRate = (recorder.Completed - errors) / Math.Max(seconds, 1e-9),
            Corrected = Percentiles.Of(recorder.Corrected),
            Uncorrected = Percentiles.Of(recorder.Uncorrected),
            Errors = recorder.Errors,
            Mix = new Dictionary<string, long>(kinds),
        };
        return (result, timeline.OrderBy(t => t.Item1).ToList());
    }

    private Func<Task> MakeCall(Retrieval.RetrievalClient client, string kind, Random rng, TimeSpan deadline)
    {
        var context = ContextSampler.ToProto(_contexts.Next(rng));

        DateTime Deadline() => DateTime.UtcNow + deadline;
        switch (kind)
        {
            case "recall":
                return async () => await client.RecallAsync(new RecallRequest { Context = context, K = 1000 }, deadline: Deadline());
            case "prerank":
                var request = new PreRankRequest { Context = context, TopN = 50 };
                for (int c = 0; c < 200; c++)
                {
                    request.ItemIds.Add(_contexts.RandomItem(rng));
                }

                return async () => await client.PreRankAsync(request, deadline: Deadline());
            case "encode":
                return async () => await client.EncodeAsync(new EncodeRequest { Context = context }, deadline: Deadline());
            default:
                return async () => await client.SearchAsync(new SearchRequest { Context = context, RecallK = 1000, TopN = 100 }, deadline: Deadline());
        }
    }
}
