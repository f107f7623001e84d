using System.Net;
using Grpc.Core;
using Karma.Core.Package;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

[Collection(ServerGroup.Name)]
public sealed class AdminAndRobustnessTests(ServerFixture server)
{
    private static readonly Metadata Auth = new() { { "authorization", "Bearer " + ServerFixture.AdminToken } };

    [Fact]
    public async Task Admin_RequiresTheToken()
    {
        var admin = new Admin.AdminClient(server.Channel);
        var none = await Assert.ThrowsAsync<RpcException>(async () => await admin.GetModelInfoAsync(new GetModelInfoRequest()));
        Assert.Equal(StatusCode.Unauthenticated, none.StatusCode);
        var wrong = await Assert.ThrowsAsync<RpcException>(async () => await admin.GetModelInfoAsync(new GetModelInfoRequest(),
            new Metadata { { "authorization", "Bearer nope" } }));
        Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        var info = await admin.GetModelInfoAsync(new GetModelInfoRequest(), Auth);
        Assert.Equal(ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName)).Count, info.Items);
        Assert.Equal("cpu", info.Device);
        Assert.True(info.Metrics.ContainsKey("embedding_hr200"));
        Assert.True(info.Metrics.ContainsKey("prerank_holdout_search_hr50"));
    }

    [Fact]
    public async Task Reload_UnderConcurrentSearches_FailsNoCall()
    {
        var catalog = ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName));
        var client = new Retrieval.RetrievalClient(server.Channel);
        var admin = new Admin.AdminClient(server.Channel);
        using var stop = new CancellationTokenSource();
        int calls = 0, failures = 0;
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var rng = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                var ctx = new UserContext { Query = "shoes" };
                ctx.HistoryItemIds.Add(catalog.Ids[rng.Next(catalog.Count)]);
                try
                {
                    var r = await client.SearchAsync(new SearchRequest { Context = ctx, RecallK = 100, TopN = 10 });
                    Assert.Equal(10, r.Items.Count);
                    Interlocked.Increment(ref calls);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToList();
        for (int i = 0; i < 3; i++)
        {
            var reloaded = await admin.ReloadAsync(new ReloadRequest(), Auth);
            Assert.Equal(reloaded.PreviousVersion, reloaded.Current.ModelVersion); // same package reloaded
        }

        await Task.Delay(200);
        stop.Cancel();
        await Task.WhenAll(workers);
        Assert.Equal(0, failures);
        Assert.True(calls > 10, $"only {calls} calls ran");
    }

    [Fact]
    public async Task Reload_OfABrokenPackage_IsRefused_AndTheOldVersionKeepsServing()
    {
        var admin = new Admin.AdminClient(server.Channel);
        string dir = Directory.CreateDirectory(Path.Combine(server.ScratchRoot, "broken-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            var error = await Assert.ThrowsAsync<RpcException>(async () => await admin.ReloadAsync(new ReloadRequest { PackagePath = dir }, Auth));
            Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
            Assert.Contains("manifest.json", error.Status.Detail, StringComparison.Ordinal);
            var info = await admin.GetModelInfoAsync(new GetModelInfoRequest(), Auth);
            Assert.Equal(ItemCatalogFile.Read(Path.Combine(ServerFixture.ModelPath, ItemCatalogFile.FileName)).Count, info.Items);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task RandomBytes_ToEveryMethod_LeaveTheServerHealthy()
    {
        using var handler = new SocketsHttpHandler();
        using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{server.GrpcPort}") };
        var rng = new Random(42);
        string[] methods = ["/karma.v1.Retrieval/Encode", "/karma.v1.Retrieval/Recall", "/karma.v1.Retrieval/PreRank",
            "/karma.v1.Retrieval/Search", "/karma.v1.Admin/GetModelInfo", "/karma.v1.Admin/Reload"];
        foreach (string method in methods)
        {
            for (int i = 0; i < 20; i++)
            {
                var payload = new byte[rng.Next(0, 300)];
                rng.NextBytes(payload);
                byte[] body = i % 2 == 0 ? Frame(payload) : payload; // valid framing with garbage, and garbage framing
                using var request = new HttpRequestMessage(HttpMethod.Post, method)
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    Content = new ByteArrayContent(body),
                };
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
                request.Headers.TryAddWithoutValidation("te", "trailers");
                using var response = await http.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                Assert.Equal(HttpStatusCode.OK, response.StatusCode); // gRPC errors travel in trailers
                string? status = (response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t : null)?.FirstOrDefault()
                                 ?? (response.Headers.TryGetValues("grpc-status", out var h) ? h : null)?.FirstOrDefault();
                Assert.NotEqual("2", status); // never UNKNOWN
            }
        }

        var client = new Retrieval.RetrievalClient(server.Channel);
        var ctx = new UserContext { Query = "still alive" };
        var ok = await client.EncodeAsync(new EncodeRequest { Context = ctx });
        Assert.Equal(64, ok.Embedding.Values.Count);
    }

    private static byte[] Frame(byte[] payload)
    {
        var framed = new byte[payload.Length + 5];
        framed[1] = (byte)(payload.Length >> 24);
        framed[2] = (byte)(payload.Length >> 16);
        framed[3] = (byte)(payload.Length >> 8);
        framed[4] = (byte)payload.Length;
        payload.CopyTo(framed, 5);
        return framed;
    }
}
