using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;
using Karma.LoadTesting;
using Karma.Serving.Configuration;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Telemetry;
using Karma.Serving.Hosting;
using Karma.Serving.Model;
using Karma.Serving.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Karma.Bench;

/// <summary>One method: the service called in-process against the same calls over gRPC.</summary>
/// <param name="Method">The gRPC method's name (<c>Encode</c>, <c>Search</c>).</param>
/// <param name="InProcess">Latency of the <see cref="RetrievalService"/> method called directly.</param>
/// <param name="Grpc">Latency of the same calls over a loopback <see cref="GrpcChannel"/>.</param>
/// <param name="Mismatches">Requests whose two answers differed (must be 0: both paths run the same model on the same input).</param>
public sealed record EndToEndPoint(string Method, LatencySummary InProcess, LatencySummary Grpc, int Mismatches)
{
    /// <summary>What gRPC adds to the in-process median, in percent.</summary>
    public double GrpcOverheadPercent => (Grpc.P50 / InProcess.P50 - 1) * 100;
}

/// <summary>What <see cref="EndToEndBench"/> measured.</summary>
/// <param name="ModelVersion">The loaded package's version.</param>
/// <param name="Index">The vector index the service ran (<c>exact</c>, <c>hnsw</c>, <c>onnx-exact</c>).</param>
/// <param name="Items">Items in the package's catalog.</param>
/// <param name="Requests">Sequential requests per method and path.</param>
/// <param name="MaxBatchDelayMs">The service's batching delay, in milliseconds.</param>
/// <param name="Methods">One point per gRPC method measured.</param>
/// <param name="SearchStages">
/// Search's stages timed one by one on the same contexts: encode, recall (k 1000), pre-rank (1000 candidates), and the
/// three chained on one thread without the service around them.
/// </param>
/// <param name="EchoFloor">
/// The same Search calls answered by <see cref="Bench.EchoFloor"/> (a minimal Grpc.AspNetCore host returning the real
/// responses, no work): what Kestrel, HTTP/2 and protobuf cost by themselves, measured in the same run.
/// </param>
public sealed record EndToEndResult(string ModelVersion, string Index, int Items, int Requests, double MaxBatchDelayMs,
    IReadOnlyList<EndToEndPoint> Methods, IReadOnlyDictionary<string, LatencySummary> SearchStages, LatencySummary? EchoFloor = null)
{
    /// <summary>gRPC Search p50 over (in-process Search p50 + the echo floor's p50): 1 means the service adds nothing of its own.</summary>
    public double? SearchOverFloor => EchoFloor is { } floor && Methods.FirstOrDefault(m => m.Method == "Search") is { } s
        ? s.Grpc.P50 / (s.InProcess.P50 + floor.P50)
        : null;
}

/// <summary>
/// The service's pipeline in-process against the same requests over gRPC. It starts the real host (Kestrel, the
/// gRPC services, interceptors, telemetry) on free loopback ports, then for each request calls the very
/// <see cref="RetrievalService"/> method directly and through a <see cref="GrpcChannel"/>, alternately, so both see
/// the same model, the same inputs and the same machine state. The user-embedding cache is off (TTL 0) so no call
/// profits from another's encoding; the batching delay defaults to 0, the latency-first setting.
/// </summary>
public static class EndToEndBench
{
    /// <summary>Runs the suite.</summary>
    /// <exception cref="InvalidDataException">The package cannot be read, or the service could not load it.</exception>
    public static async Task<EndToEndResult> RunAsync(string packagePath, string index, int requests, double maxBatchDelayMs,
        TextWriter? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBatchDelayMs);
        Karma.Core.Package.ModelManifest.Read(packagePath); // a missing or unreadable package fails here, not in the host
        var (grpcPort, httpPort) = FreePorts();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Karma:ModelPath"] = Path.GetFullPath(packagePath),
            ["Karma:Index"] = index,
            ["Karma:GrpcPort"] = grpcPort.ToString(CultureInfo.InvariantCulture),
            ["Karma:HttpPort"] = httpPort.ToString(CultureInfo.InvariantCulture),
            ["Karma:CacheTtlSeconds"] = "0",
            ["Karma:MaxBatchDelayMs"] = maxBatchDelayMs.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddKarmaServing();
        await using var app = builder.Build();
        app.MapKarmaServing();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var options = app.Services.GetRequiredService<IOptions<ServingOptions>>();
            var host = app.Services.GetRequiredService<ModelHost>();
            log?.WriteLine($"[bench e2e] waiting for {packagePath} ({index} index) to load");
            var model = await LoadedModelAsync(app, host, cancellationToken).ConfigureAwait(false);
            var service = new RetrievalService(host, options, app.Services.GetRequiredService<KarmaTelemetry>(),
                app.Services.GetRequiredService<UserEmbeddingCache>());
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{options.Value.GrpcPort}");
            var client = new Retrieval.RetrievalClient(channel);
            var sampled = new ContextSampler(model.Package.Catalog).Take(requests, seed: 21);
            var contexts = sampled.Select(ContextSampler.ToProto).ToArray();
            var methods = new List<EndToEndPoint>
            {
                await MeasureAsync("Encode", contexts.Select(c => new EncodeRequest { Context = c }).ToArray(),
                    r => service.Encode(r, new InProcessCallContext("Encode")), r => client.EncodeAsync(r).ResponseAsync, log).ConfigureAwait(false),
                await MeasureAsync("Search", contexts.Select(c => new SearchRequest { Context = c, RecallK = 1000, TopN = 100 }).ToArray(),
                    r => service.Search(r, new InProcessCallContext("Search")), r => client.SearchAsync(r).ResponseAsync, log).ConfigureAwait(false),
            };
            var searches = contexts.Select(c => new SearchRequest { Context = c, RecallK = 1000, TopN = 100 }).ToArray();
            var floor = await EchoFloorAsync(searches, r => service.Search(r, new InProcessCallContext("Search")), log, cancellationToken).ConfigureAwait(false);
            var stages = Stages(model, [.. sampled.Select(SampledInputs.ToInput)]);
            log?.WriteLine("[bench e2e] Search stages (p50): " + string.Join(", ", stages.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value.P50:F3} ms"))));
            return new EndToEndResult(model.Package.Version, model.Index.Kind, model.Package.Catalog.Count, requests, maxBatchDelayMs, methods, stages, floor);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for the host's background load: the model, or an error once the loader has finished without one, or
    /// cancellation (the caller's token or the host stopping on SIGTERM).
    /// </summary>
    private static async Task<ServingModel> LoadedModelAsync(WebApplication app, ModelHost host, CancellationToken cancellationToken)
    {
        var loader = app.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<ModelLoaderService>().Single();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, app.Lifetime.ApplicationStopping);
        for (var model = host.Current; ; model = host.Current)
        {
            if (model is not null)
            {
                return model;
            }

            if (loader.ExecuteTask is { IsCompleted: true } && host.Current is null)
            {
                throw new InvalidDataException($"the service could not load {host.PackagePath} (see the log above)");
            }

            await Task.Delay(200, stop.Token).ConfigureAwait(false);
        }
    }

    /// <summary>The same Search requests against <see cref="EchoFloor"/>, answered with the real service's responses.</summary>
    private static async Task<LatencySummary> EchoFloorAsync(SearchRequest[] requests, Func<SearchRequest, Task<SearchResponse>> real, TextWriter? log,
        CancellationToken cancellationToken)
    {
        var answers = new Dictionary<SearchRequest, SearchResponse>();
        foreach (var r in requests)
        {
            answers.TryAdd(r, await real(r).ConfigureAwait(false));
        }

        var (port, _) = FreePorts();
        await using var echo = await Bench.EchoFloor.StartAsync(answers, port, cancellationToken).ConfigureAwait(false);
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
        var client = new Retrieval.RetrievalClient(channel);
        for (int i = 0; i < Math.Min(20, requests.Length); i++)
        {
            await client.SearchAsync(requests[i], cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        }

        var times = new double[requests.Length];
        for (int i = 0; i < requests.Length; i++)
        {
            (_, times[i]) = await TimeAsync(r => client.SearchAsync(r).ResponseAsync, requests[i]).ConfigureAwait(false);
        }

        var floor = LatencySummary.Of(times);
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[bench e2e] echo floor (minimal Grpc.AspNetCore host, same messages): p50 {floor.P50:F3} ms"));
        return floor;
    }

    /// <summary>
    /// Times Search's three stages separately (no batcher, no cache, no transport): encode, hybrid recall (BM25 match,
    /// intent, the three channels, fusion) and pre-rank (features and the pre-ranker; BM25 match and intent counted again).
    /// </summary>
    private static Dictionary<string, LatencySummary> Stages(ServingModel model, Serving.Core.Inference.UserContextInput[] contexts)
    {
        var interests = new float[contexts.Length][];
        var history = contexts.Select(c => model.Encoder.Prepare(c).Context.Rows).ToArray();
        var candidates = new Karma.Search.Hybrid.CandidateSet[contexts.Length];
        var encode = LatencySummary.Time(i => interests[i] = model.Encoder.Encode([contexts[i]], out _)[0], contexts.Length, warmup: 0);
        var recall = LatencySummary.Time(i =>
        {
            using var matches = model.Pipeline.Match(contexts[i].Query);
            candidates[i] = model.Pipeline.Recall(model.Pipeline.Context(interests[i], history[i], contexts[i].Query, matches), 1000);
        }, contexts.Length, warmup: 0);
        var prerank = LatencySummary.Time(i =>
        {
            using var matches = model.Pipeline.Match(contexts[i].Query);
            model.Pipeline.Rank(model.Pipeline.Context(interests[i], history[i], contexts[i].Query, matches), candidates[i], 10);
        }, contexts.Length, warmup: 0);
        var chained = LatencySummary.Time(i =>
        {
            var interest = model.Encoder.Encode([contexts[i]], out _)[0];
            using var matches = model.Pipeline.Match(contexts[i].Query);
            var request = model.Pipeline.Context(interest, history[i], contexts[i].Query, matches);
            model.Pipeline.Rank(request, model.Pipeline.Recall(request, 1000), 10);
        }, contexts.Length, warmup: 0);
        return new Dictionary<string, LatencySummary>(StringComparer.Ordinal)
        {
            ["encode"] = encode, ["recall"] = recall, ["prerank"] = prerank, ["all three, one after another"] = chained,
        };
    }

    private static async Task<EndToEndPoint> MeasureAsync<TRequest, TResponse>(string method, TRequest[] requests,
        Func<TRequest, Task<TResponse>> inProcess, Func<TRequest, Task<TResponse>> grpc, TextWriter? log)
        where TResponse : class
    {
        for (int i = 0; i < Math.Min(20, requests.Length); i++)
        {
            await inProcess(requests[i]).ConfigureAwait(false);
            await grpc(requests[i]).ConfigureAwait(false);
        }

        var local = new double[requests.Length];
        var remote = new double[requests.Length];
        int mismatches = 0;
        for (int i = 0; i < requests.Length; i++)
        {
            // Alternate which path goes first so neither always finds the caches warmed by the other.
            TResponse a, b;
            if (i % 2 == 0)
            {
                (a, local[i]) = await TimeAsync(inProcess, requests[i]).ConfigureAwait(false);
                (b, remote[i]) = await TimeAsync(grpc, requests[i]).ConfigureAwait(false);
            }
            else
            {
                (b, remote[i]) = await TimeAsync(grpc, requests[i]).ConfigureAwait(false);
                (a, local[i]) = await TimeAsync(inProcess, requests[i]).ConfigureAwait(false);
            }

            mismatches += a.Equals(b) ? 0 : 1;
        }

        var point = new EndToEndPoint(method, LatencySummary.Of(local), LatencySummary.Of(remote), mismatches);
        log?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[bench e2e] {method}: in-process p50 {point.InProcess.P50:F3} ms, gRPC p50 {point.Grpc.P50:F3} ms (+{point.GrpcOverheadPercent:F0}%), {mismatches} differing answers"));
        return point;
    }

    private static async Task<(TResponse Response, double Ms)> TimeAsync<TRequest, TResponse>(Func<TRequest, Task<TResponse>> call, TRequest request)
    {
        long start = Stopwatch.GetTimestamp();
        var response = await call(request).ConfigureAwait(false);
        return (response, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }

    /// <summary>Two distinct free loopback ports (both listeners held while choosing, so they differ).</summary>
    private static (int Grpc, int Http) FreePorts()
    {
        using var a = new TcpListener(IPAddress.Loopback, 0);
        using var b = new TcpListener(IPAddress.Loopback, 0);
        a.Start();
        b.Start();
        return (((IPEndPoint)a.LocalEndpoint).Port, ((IPEndPoint)b.LocalEndpoint).Port);
    }

    /// <summary>A markdown table of the result.</summary>
    public static string ToMarkdown(EndToEndResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{r.ModelVersion}, {r.Items:N0} items, {r.Index} index, {r.Requests} sequential requests per path, batching delay {r.MaxBatchDelayMs} ms, cache off");
        sb.AppendLine();
        sb.AppendLine("| method | in-process p50 (ms) | in-process p99 (ms) | gRPC p50 (ms) | gRPC p99 (ms) | gRPC adds (p50) | differing answers |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var p in r.Methods)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {p.Method} | {p.InProcess.P50:F3} | {p.InProcess.P99:F3} | {p.Grpc.P50:F3} | {p.Grpc.P99:F3} | {p.GrpcOverheadPercent:+0;-0}% | {p.Mismatches} |");
        }

        if (r.EchoFloor is { } floor && r.SearchOverFloor is { } ratio)
        {
            sb.AppendLine();
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"Echo floor (a minimal Grpc.AspNetCore host answering the same Search requests with the same responses, no work): p50 {floor.P50:F3} ms, p99 {floor.P99:F3} ms. " +
                $"gRPC Search p50 / (in-process Search p50 + floor p50) = {ratio:F2}.");
        }

        sb.AppendLine();
        sb.AppendLine("| Search stage, alone | p50 (ms) | p99 (ms) |");
        sb.AppendLine("|---|---:|---:|");
        foreach (var (stage, l) in r.SearchStages)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {stage} | {l.P50:F3} | {l.P99:F3} |");
        }

        return sb.ToString();
    }
}
