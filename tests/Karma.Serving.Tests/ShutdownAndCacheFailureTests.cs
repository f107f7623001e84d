using System.Globalization;
using System.Net;
using Grpc.Core;
using Grpc.Health.V1;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>
/// Tests that start and stop servers of their own. They run alone, after the parallel collections: every host in
/// this process has a meter named Karma.Serving, and OpenTelemetry (which subscribes by meter name) drops the
/// shared metric streams of a running server when another host's meter is disposed beside it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnServerGroup
{
    public const string Name = "own server";
}

/// <summary>Graceful shutdown through the real host: readiness flips first, calls are still served, then it closes.</summary>
[Collection(OwnServerGroup.Name)]
public sealed class ShutdownTests
{
    private sealed class DrainingServer : ServerFixture
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            new("Karma:DrainDelaySeconds", "2"),
            new("Karma:ShutdownTimeoutSeconds", "10"),
        ];
    }

    [Fact]
    public async Task Stop_TurnsReadinessNotServing_KeepsServingDuringTheDrainDelay_ThenCloses()
    {
        var server = new DrainingServer();
        await server.InitializeAsync();
        try
        {
            var health = new Health.HealthClient(server.Channel);
            var client = new Retrieval.RetrievalClient(server.Channel);
            var search = new SearchRequest { Context = new UserContext { Query = "running shoes" }, RecallK = 50, TopN = 5 };
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);

            var stopping = server.StopAsync();
            var status = await Eventually.Last(async () => (await health.CheckAsync(new HealthCheckRequest { Service = "karma.v1.Retrieval" })).Status,
                s => s != HealthCheckResponse.Types.ServingStatus.Serving, TimeSpan.FromSeconds(5), every: TimeSpan.FromMilliseconds(20));

            Assert.Equal(HealthCheckResponse.Types.ServingStatus.NotServing, status);
            using (var ready = await server.Http.GetAsync(new Uri("/readyz", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            }

            using (var alive = await server.Http.GetAsync(new Uri("/healthz", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
            }

            var served = await client.SearchAsync(search);
            Assert.NotEmpty(served.Items);
            Assert.False(stopping.IsCompleted, "the host stopped before the drain delay was over");

            await stopping.WaitAsync(TimeSpan.FromSeconds(15));
            var error = await Assert.ThrowsAsync<RpcException>(async () => await client.SearchAsync(search));
            Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task DrainDelay_NotBelowTheShutdownTimeout_IsRefusedAtStart()
    {
        var error = await StartRefusal.ExpectAsync(("Karma:DrainDelaySeconds", "30"), ("Karma:ShutdownTimeoutSeconds", "30"));
        Assert.Contains("DrainDelaySeconds", error.Message, StringComparison.Ordinal);
    }
}

/// <summary>The service with its cache pointed at a Redis that is not there.</summary>
public sealed class DeadRedisServerFixture : ServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Karma:CacheRedis", "127.0.0.1:" + FreePorts.Next().ToString(CultureInfo.InvariantCulture)),
        new("Karma:CacheTimeoutMs", "50"),
    ];
}

[Collection(OwnServerGroup.Name)]
public sealed class CacheFailureMetricTests(DeadRedisServerFixture server) : IClassFixture<DeadRedisServerFixture>
{
    [Fact]
    public async Task UnreachableCache_ServesEveryCall_AndCountsLookupErrors()
    {
        var client = new Retrieval.RetrievalClient(server.Channel);
        for (int i = 0; i < 5; i++)
        {
            var r = await client.EncodeAsync(new EncodeRequest { Context = new UserContext { Query = "dead cache " + i } });
            Assert.False(r.ContextReport.CacheHit);
        }

        static double Errors(string exposition) => Scrapes.Sum(exposition, "karma_cache_requests_total", ("result", "error"));

        string scrape = await Scrapes.ScrapeUntilAsync(server.Http, s => Errors(s) >= 5);

        Assert.True(Errors(scrape) >= 5, "failed cache lookups were not counted as result=\"error\"");
    }
}
