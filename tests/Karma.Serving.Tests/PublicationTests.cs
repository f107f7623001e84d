using System.Text.Json.Nodes;
using Grpc.Core;
using Karma.Serving.Contracts.V1;
using Karma.Serving.Core.Distribution;
using StackExchange.Redis;

namespace Karma.Serving.Tests;

/// <summary>A replica that follows packages published to Redis.</summary>
public sealed class FollowerServer(string redis, string cacheDir) : ServerFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Karma:PackageRedis", redis),
        new("Karma:PackageCacheDir", cacheDir),
    ];
}

public sealed class PublicationTests : IAsyncLifetime, IDisposable
{
    private static readonly Metadata Auth = new() { { "authorization", "Bearer " + ServerFixture.AdminToken } };
    private readonly RedisServer _redis = new();
    private readonly string _work = Directory.CreateTempSubdirectory("karma-publish-").FullName;
    private FollowerServer _a = null!, _b = null!;
    private ConnectionMultiplexer _connection = null!;

    public async Task InitializeAsync()
    {
        _connection = await ConnectionMultiplexer.ConnectAsync(_redis.Connection);
        _a = new FollowerServer(_redis.Connection, Path.Combine(_work, "cache-a"));
        _b = new FollowerServer(_redis.Connection, Path.Combine(_work, "cache-b"));
        await _a.InitializeAsync();
        await _b.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _connection.DisposeAsync();
        Dispose();
    }

    public void Dispose()
    {
        _redis.Dispose();
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    /// <summary>A copy of models/default under a new model version.</summary>
    private string PackageVersion(string version)
    {
        string dir = TestFiles.CopyFiles(ServerFixture.ModelPath, Path.Combine(_work, version), f => !f.EndsWith(".usearch", StringComparison.Ordinal));

        string manifest = Path.Combine(dir, "manifest.json");
        var json = JsonNode.Parse(File.ReadAllText(manifest))!;
        json["model_version"] = version;
        File.WriteAllText(manifest, json.ToJsonString());
        return dir;
    }

    private static async Task<string> VersionOf(ServerFixture server)
        => (await new Admin.AdminClient(server.Channel).GetModelInfoAsync(new GetModelInfoRequest(), Auth)).ModelVersion;

    private static Task WaitForVersion(ServerFixture server, string version)
        => Eventually.Holds(async () => await VersionOf(server) == version, $"replica did not switch to {version}", TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Publish_IsPickedUpByEveryReplica_AndCorruptOrPartialPublicationsAreRejected()
    {
        var store = new RedisPackageStore(_connection);
        string v2 = "karma-test-v2-" + Guid.NewGuid().ToString("N")[..8];
        await store.PublishAsync(PackageVersion(v2));
        await WaitForVersion(_a, v2);
        await WaitForVersion(_b, v2);

        // Corrupt: one chunk of the embedding table altered after publication.
        string v3 = "karma-test-v3-" + Guid.NewGuid().ToString("N")[..8];
        await store.PublishAsync(PackageVersion(v3), announce: false);
        var db = _connection.GetDatabase();
        string chunk = RedisPackageStore.Prefix + v3 + ":item_embeddings.bin:0";
        byte[] bytes = (byte[])(await db.StringGetAsync(chunk))!;
        bytes[^1] ^= 0xFF;
        await db.StringSetAsync(chunk, bytes);
        await store.AnnounceAsync(v3);

        // Partial: no completion mark.
        string v4 = "karma-test-v4-" + Guid.NewGuid().ToString("N")[..8];
        await store.PublishAsync(PackageVersion(v4), announce: false);
        await db.KeyDeleteAsync(RedisPackageStore.Prefix + v4 + ":complete");
        await store.AnnounceAsync(v4);

        // Each replica must have tried and refused both (logged by version, and counted: at least twice, since the two
        // in-process hosts' meters share a name and each host's /metrics sums both), not merely not got to them yet.
        foreach (var replica in new[] { _a, _b })
        {
            string metrics = await Scrapes.ScrapeUntilAsync(replica.Http, m => Scrapes.Sum(m, "karma_model_load_failures_total") >= 2);
            Assert.True(Scrapes.Sum(metrics, "karma_model_load_failures_total") >= 2, string.Join("\n", replica.Logs.Entries.Select(e => e.Message)));
            foreach (string refused in new[] { v3, v4 })
            {
                Assert.Contains(replica.Logs.Entries, e => e.Message.Contains($"Published package {refused} rejected", StringComparison.Ordinal));
            }
        }

        Assert.Equal(v2, await VersionOf(_a));
        Assert.Equal(v2, await VersionOf(_b));
        var search = await new Retrieval.RetrievalClient(_a.Channel).SearchAsync(
            new SearchRequest { Context = new UserContext { Query = "shoes" }, RecallK = 50, TopN = 5 });
        Assert.Equal(v2, search.ModelVersion);
    }
}

/// <summary>A replica whose package Redis is down at start still serves its ModelPath.</summary>
public sealed class UnreachablePackageRedisTests
{
    [Fact]
    public async Task RedisDownAtStart_ServesTheLocalPackage()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var server = new FollowerServer($"127.0.0.1:{port},connectTimeout=200", Path.Combine(Path.GetTempPath(), "karma-unreachable"));
        await server.InitializeAsync(); // waits for SERVING
        try
        {
            var r = await new Retrieval.RetrievalClient(server.Channel).EncodeAsync(new EncodeRequest { Context = new UserContext { Query = "shoes" } });
            Assert.StartsWith("karma-", r.ModelVersion, StringComparison.Ordinal);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
