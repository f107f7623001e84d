using System.Diagnostics;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Karma.LoadTesting;

/// <summary>Where and how often to probe health during a run.</summary>
public sealed record HealthProbeOptions
{
    /// <summary>gRPC address for <c>grpc.health.v1.Health/Check</c> (service ""), or null for none.</summary>
    public Uri? GrpcTarget { get; init; }

    /// <summary>URL of the HTTP liveness probe (e.g. <c>http://host:8080/healthz</c>), or null for none.</summary>
    public Uri? HttpUrl { get; init; }

    /// <summary>Time between probes of each kind.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A probe without an answer by then fails as Timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The service's HTTP port on the gRPC target's host: <c>http://HOST:PORT/healthz</c>.</summary>
    public static Uri DefaultHttpUrl(Uri grpcTarget, int port = 8080)
    {
        ArgumentNullException.ThrowIfNull(grpcTarget);
        return new UriBuilder("http", grpcTarget.Host, port, "/healthz").Uri;
    }
}

/// <summary>
/// Probes the service's health at a fixed interval while the load runs: a gRPC health check and an HTTP GET, each
/// on its own connection (its own channel and handler) so a probe does not queue behind the load's calls on a
/// shared HTTP/2 connection, and each sent on time whether or not the previous one has answered.
/// </summary>
public sealed class HealthProber : IRunCompanion
{
    private readonly HealthProbeOptions _options;
    private readonly ProbeRecorder? _grpc;
    private readonly ProbeRecorder? _http;

    /// <summary>A prober recording by <paramref name="phases"/> (may be empty).</summary>
    public HealthProber(HealthProbeOptions options, IReadOnlyList<LoadPhase> phases)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentNullException.ThrowIfNull(phases);
        _grpc = options.GrpcTarget is { } g ? new ProbeRecorder("grpc", g.ToString(), phases) : null;
        _http = options.HttpUrl is { } h ? new ProbeRecorder("http", h.ToString(), phases) : null;
    }

    /// <inheritdoc />
    public string? ProgressNote => string.Join(", ", Recorders().Select(r => double.IsNaN(r.LastMs) ? $"{r.Kind} health -" : $"{r.Kind} health {r.LastMs:F1} ms"));

    /// <summary>What each kind of probe measured.</summary>
    public IReadOnlyList<ProbeSummary> Summaries() => Recorders().Select(r => r.Summary()).ToArray();

    /// <summary>Every probe, for plotting.</summary>
    public IReadOnlyList<ProbePoint> Points() => Recorders().SelectMany(r => r.Points()).OrderBy(p => p.Seconds).ToArray();

    private IEnumerable<ProbeRecorder> Recorders() => new[] { _grpc, _http }.OfType<ProbeRecorder>();

    /// <inheritdoc />
    public async Task RunAsync(RunClock clock, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(clock);
        using var channel = _grpc is null ? null : GrpcChannel.ForAddress(_options.GrpcTarget!, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler() });
        var health = channel is null ? null : new Health.HealthClient(channel);
        using var http = new HttpClient(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        var outstanding = new List<Task>();
        using var timer = new PeriodicTimer(_options.Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                // Probes go out during the warm-up too (their connections are set up by then) but are not recorded.
                var at = clock.Measured;
                bool record = at >= TimeSpan.Zero;
                if (health is not null)
                {
                    outstanding.Add(Task.Run(() => ProbeGrpcAsync(health, at, record), CancellationToken.None));
                }

                if (_http is not null)
                {
                    outstanding.Add(Task.Run(() => ProbeHttpAsync(http, at, record), CancellationToken.None));
                }

                outstanding.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The load has finished: stop sending, let the probes in flight answer or time out.
        }

        await Task.WhenAll(outstanding).ConfigureAwait(false);
    }

    private async Task ProbeGrpcAsync(Health.HealthClient health, TimeSpan at, bool record)
    {
        long start = Stopwatch.GetTimestamp();
        string? failure = null;
        try
        {
            var reply = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + _options.Timeout).ConfigureAwait(false);
            if (reply.Status != HealthCheckResponse.Types.ServingStatus.Serving)
            {
                failure = reply.Status.ToString();
            }
        }
        catch (RpcException e)
        {
            failure = e.StatusCode == StatusCode.DeadlineExceeded ? "Timeout" : e.StatusCode.ToString();
        }

        if (record)
        {
            _grpc!.Record(at, Stopwatch.GetElapsedTime(start), failure);
        }
    }

    private async Task ProbeHttpAsync(HttpClient http, TimeSpan at, bool record)
    {
        long start = Stopwatch.GetTimestamp();
        string? failure = null;
        using var timeout = new CancellationTokenSource(_options.Timeout);
        try
        {
            using var response = await http.GetAsync(_options.HttpUrl, timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                failure = "Http" + (int)response.StatusCode;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            failure = "Timeout";
        }
        catch (HttpRequestException e)
        {
            failure = e.HttpRequestError.ToString();
        }

        if (record)
        {
            _http!.Record(at, Stopwatch.GetElapsedTime(start), failure);
        }
    }
}
