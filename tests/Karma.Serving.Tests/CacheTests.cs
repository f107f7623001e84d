using Grpc.Core;
using Karma.Serving.Contracts.V1;
using StackExchange.Redis;

namespace Karma.Serving.Tests;

[Collection(ServerGroup.Name)]
public sealed class InMemoryCacheTests(ServerFixture server)
{
    [Fact]
    public async Task SecondIdenticalContext_IsACacheHit_WithTheSameEmbedding()
    {
        var client = new Retrieval.RetrievalClient(server.Channel);
        var ctx = new UserContext { Query = "cache me " + Guid.NewGuid().ToString("N") };
        var first = await client.EncodeAsync(new EncodeRequest { Context = ctx });
        Assert.False(first.ContextReport.CacheHit);
        // The store runs in the background: a later call hits.
        var second = await Eventually.Returns(async () => await client.EncodeAsync(new EncodeRequest { Context = ctx }), r => r.ContextReport.CacheHit,
            _ => "the second call never hit the cache");
        Assert.Equal(first.Embedding.Values, second.Embedding.Values);
        // Another context is another entry. (Not the query with a word appended: the key is what the encoder reads, and
        // the model reads only the first max_query_tokens tokens, so such a query can be the same entry.)
        var otherContext = new UserContext { Query = ctx.Query };
        otherContext.HistoryItemIds.Add("i0000");
        var other = await client.EncodeAsync(new EncodeRequest { Context = otherContext });
        Assert.False(other.ContextReport.CacheHit);
    }
}

/// <summary>The service with its user-embedding cache in a real redis-server.</summary>
public sealed class RedisServerFixture : ServerFixture
{
    public RedisServer Redis { get; } = new();

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Karma:CacheRedis", Redis.Connection),
        new("Karma:CacheTimeoutMs", "100"),
        // The bursts below test the cache, not admission: room for all of their calls at once.
        new("Karma:MaxConcurrentCalls", "256"),
    ];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Redis.Dispose();
    }
}

public sealed class RedisCacheTests(RedisServerFixture server) : IClassFixture<RedisServerFixture>
{
    private static UserContext Context(string query) => new() { Query = query };

    private static Task<EncodeResponse> EncodeUntilHitAsync(Retrieval.RetrievalClient client, UserContext ctx)
        => Eventually.Returns(async () => await client.EncodeAsync(new EncodeRequest { Context = ctx }), r => r.ContextReport.CacheHit,
            _ => "the context never hit the cache");

    [Fact]
    public async Task Embeddings_AreStoredInRedis_AndServedFromIt()
    {
        var client = new Retrieval.RetrievalClient(server.Channel);
        var ctx = Context("redis " + Guid.NewGuid().ToString("N"));
        var hit = await EncodeUntilHitAsync(client, ctx);
        Assert.True(hit.ContextReport.CacheHit);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(server.Redis.Connection);
        var keys = redis.GetServer(server.Redis.Connection).Keys(pattern: "*karma:emb:" + hit.ModelVersion + ":*").ToList();
        Assert.NotEmpty(keys);
    }

    [Fact]
    public async Task RedisKilledDuringABurst_FailsNoCall_AndTheCacheComesBack()
    {
        var client = new Retrieval.RetrievalClient(server.Channel);
        int failures = 0, calls = 0;
        async Task Burst(int n)
        {
            var tasks = Enumerable.Range(0, n).Select(async i =>
            {
                try
                {
                    await client.SearchAsync(new SearchRequest { Context = Context("burst " + (i % 10)), RecallK = 50, TopN = 5 });
                    Interlocked.Increment(ref calls);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failures);
                }
            });
            await Task.WhenAll(tasks);
        }

        await Burst(40);
        server.Redis.Kill();
        await Burst(80);
        server.Redis.Start();
        await Burst(40);
        Assert.Equal(0, failures);
        Assert.Equal(160, calls);

        // After the restart (an empty Redis), the replica reconnects by itself and hits again.
        var ctx = Context("after restart " + Guid.NewGuid().ToString("N"));
        await Eventually.Holds(async () => (await client.EncodeAsync(new EncodeRequest { Context = ctx })).ContextReport.CacheHit,
            "the cache was not used again after Redis came back");
    }
}
