using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Karma.Core.Package;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>The service with a deliberately small admission limit, so a modest burst is a storm.</summary>
public sealed class SmallLimitServerFixture : ServerFixture
{
    public const int Limit = 2;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Karma:MaxConcurrentCalls", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Karma:MaxWaitingCalls", Limit.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];
}

/// <summary>
/// Overload behaviour through the real host: excess calls are refused at once with RESOURCE_EXHAUSTED while the
/// admitted ones finish, health keeps answering, and a call whose deadline has passed is never computed. The
/// assertions are on statuses, counts and order, never on durations.
/// </summary>
// Alone (OwnServerGroup): it reads metrics, and a storm should not share the cores with other tests.
[Collection(OwnServerGroup.Name)]
public sealed class OverloadTests(SmallLimitServerFixture server) : IClassFixture<SmallLimitServerFixture>
{
    private static ItemCatalog Catalog { get; } = ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName));

    private static SearchRequest Search(int i)
    {
        var context = new UserContext { Query = "storm " + (i % 50) };
        context.HistoryItemIds.AddRange(Enumerable.Range(0, 10).Select(j => Catalog.Ids[(i * 31 + j * 7) % Catalog.Count]));
        return new SearchRequest { Context = context, RecallK = 1000, TopN = 100 };
    }

    [Fact]
    public async Task Storm_ExcessCallsAreRefusedAtOnce_AdmittedOnesFinish_HealthKeepsAnswering()
    {
        var client = new Retrieval.RetrievalClient(server.Channel);
        // Health over its own connection, as a kubelet or load balancer probes.
        using var probeChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{server.GrpcPort}");
        var health = new Health.HealthClient(probeChannel);
        await client.SearchAsync(Search(0)); // connection and JIT warm
        string before = await Scrapes.ScrapeAsync(server.Http);

        long order = 0;
        var finished = new ConcurrentBag<(StatusCode Status, long Order)>();
        var probes = new ConcurrentBag<HealthCheckResponse.Types.ServingStatus>();
        using var stormOver = new CancellationTokenSource();
        var prober = Task.Run(async () =>
        {
            while (!stormOver.IsCancellationRequested)
            {
                probes.Add((await health.CheckAsync(new HealthCheckRequest { Service = "karma.v1.Retrieval" })).Status);
                HttpStatusCode http = (await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative))).StatusCode;
                probes.Add(http == HttpStatusCode.OK ? HealthCheckResponse.Types.ServingStatus.Serving : HealthCheckResponse.Types.ServingStatus.NotServing);
            }
        });
        var storm = Enumerable.Range(0, 400).Select(async i =>
        {
            StatusCode status = StatusCode.OK;
            try
            {
                await client.SearchAsync(Search(i));
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }

            finished.Add((status, Interlocked.Increment(ref order)));
        }).ToList();
        await Task.WhenAll(storm);
        await stormOver.CancelAsync();
        await prober;

        var statuses = finished.GroupBy(f => f.Status).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(statuses.Keys.All(s => s is StatusCode.OK or StatusCode.ResourceExhausted),
            "unexpected statuses: " + string.Join(", ", statuses.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.True(statuses.GetValueOrDefault(StatusCode.ResourceExhausted) > 0, "nothing was refused");
        Assert.True(statuses.GetValueOrDefault(StatusCode.OK) >= SmallLimitServerFixture.Limit, "too few calls were admitted");
        // Refusals do not queue behind the admitted work: the first refusal is answered before the last admitted call.
        Assert.True(finished.Where(f => f.Status == StatusCode.ResourceExhausted).Min(f => f.Order)
            < finished.Where(f => f.Status == StatusCode.OK).Max(f => f.Order));
        Assert.NotEmpty(probes);
        Assert.All(probes, p => Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, p));

        // After the storm the service serves normally, and the refusals were counted.
        Assert.Equal(100, (await client.SearchAsync(Search(1))).Items.Count);
        string after = await Scrapes.ScrapeUntilAsync(server.Http, text =>
            Scrapes.Sum(text, "karma_rpc_calls_total", ("status", "ResourceExhausted"))
            >= Scrapes.Sum(before, "karma_rpc_calls_total", ("status", "ResourceExhausted")) + statuses[StatusCode.ResourceExhausted]);
        Assert.Equal(statuses[StatusCode.ResourceExhausted],
            Scrapes.Sum(after, "karma_rpc_calls_total", ("status", "ResourceExhausted"))
            - Scrapes.Sum(before, "karma_rpc_calls_total", ("status", "ResourceExhausted")));
    }

    [Fact]
    public async Task CallWhoseDeadlineHasPassed_IsDeadlineExceeded_AndNeverComputed()
    {
        // The .NET client refuses to send a call whose deadline has passed, so the header is written by hand:
        // grpc-timeout 1 µs has expired by the time the call reaches the service.
        using var raw = new RawGrpc(server.GrpcPort);
        string before = await Scrapes.ScrapeAsync(server.Http);
        for (int i = 0; i < 20; i++)
        {
            var request = new EncodeRequest { Context = new UserContext { Query = "late " + Guid.NewGuid().ToString("N") } };
            var reply = await raw.PostAsync("/karma.v1.Retrieval/Encode", RawGrpc.Frame(request.ToByteArray()), headers: ("grpc-timeout", "1u"));
            Assert.Equal(StatusCode.DeadlineExceeded, (StatusCode)reply.GrpcStatus!.Value);
        }

        // A normal call afterwards is encoded (the counters move), so the scrape below is fresh.
        var client = new Retrieval.RetrievalClient(server.Channel);
        await client.EncodeAsync(new EncodeRequest { Context = new UserContext { Query = "on time " + Guid.NewGuid().ToString("N") } });
        string after = await Scrapes.ScrapeUntilAsync(server.Http, text =>
            Scrapes.Sum(text, "karma_rpc_calls_total", ("status", "DeadlineExceeded"))
            >= Scrapes.Sum(before, "karma_rpc_calls_total", ("status", "DeadlineExceeded")) + 20
            && Scrapes.Sum(text, "karma_stage_duration_milliseconds_count", ("stage", "encode"))
            > Scrapes.Sum(before, "karma_stage_duration_milliseconds_count", ("stage", "encode")));
        Assert.Equal(20, Scrapes.Sum(after, "karma_rpc_calls_total", ("status", "DeadlineExceeded"))
            - Scrapes.Sum(before, "karma_rpc_calls_total", ("status", "DeadlineExceeded")));
        // Exactly one encode ran: the on-time call's. None of the twenty expired calls reached the user tower.
        Assert.Equal(1, Scrapes.Sum(after, "karma_stage_duration_milliseconds_count", ("stage", "encode"))
            - Scrapes.Sum(before, "karma_stage_duration_milliseconds_count", ("stage", "encode")));
    }
}
