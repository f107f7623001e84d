using System.Net;
using Google.Protobuf;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>
/// Malformed request bodies, content-types and ports through the real host (issue 12): every malformed body is refused
/// INVALID_ARGUMENT or RESOURCE_EXHAUSTED (never UNKNOWN), counted, and logged in a bounded number of short lines.
/// </summary>
// Its own server, alone: it counts metrics and log lines that other tests' calls would add to.
[Collection(OwnServerGroup.Name)]
public sealed class WireTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const int InvalidArgument = 3, ResourceExhausted = 8, Unimplemented = 12;
    private const string Search = "/karma.v1.Retrieval/Search", Reload = "/karma.v1.Admin/Reload", Check = "/grpc.health.v1.Health/Check";

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string method in new[] { Search, Reload, Check })
        {
            foreach (string kind in new[] { "100x0b", "random", "invalid-utf8", "nested-groups", "2^31-frame", "over-limit-frame", "bad-flag", "truncated", "two-messages", "empty" })
            {
                data.Add(method, kind);
            }
        }

        return data;
    }

    private static MessageParser Parser(string method) => method switch
    {
        Search => SearchRequest.Parser,
        Reload => ReloadRequest.Parser,
        _ => HealthCheckRequest.Parser,
    };

    /// <summary>A payload that is not a valid encoding of <paramref name="method"/>'s request (checked here with the same parser).</summary>
    private static byte[] Unparsable(string method, string kind)
    {
        byte[] payload = kind switch
        {
            "100x0b" => Enumerable.Repeat((byte)0x0b, 100).ToArray(),
            // Field 1 as a group nested 150 deep (protobuf's recursion limit is 100), balanced.
            "nested-groups" => Enumerable.Repeat((byte)0x0b, 150).Concat(Enumerable.Repeat((byte)0x0c, 150)).ToArray(),
            // A string field holding the bytes FF FE: Search's context.query, Reload's package_path, Check's service.
            "invalid-utf8" => method == Search ? [0x0a, 0x04, 0x12, 0x02, 0xff, 0xfe] : [0x0a, 0x02, 0xff, 0xfe],
            _ => RandomUnparsable(method),
        };
        Assert.ThrowsAny<Exception>(() => Parser(method).ParseFrom(payload)); // the test's own premise
        return payload;
    }

    private static byte[] RandomUnparsable(string method)
    {
        for (int seed = 0; ; seed++)
        {
            var rng = new Random(seed);
            var bytes = new byte[rng.Next(20, 300)];
            rng.NextBytes(bytes);
            try
            {
                Parser(method).ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException)
            {
                return bytes;
            }
        }
    }

    private static (byte[] Body, int Status) Malformed(string method, string kind)
    {
        byte[] valid = method switch
        {
            Search => new SearchRequest { Context = new UserContext { Query = "shoes" }, RecallK = 10, TopN = 5 }.ToByteArray(),
            Reload => new ReloadRequest().ToByteArray(),
            _ => new HealthCheckRequest().ToByteArray(),
        };
        return kind switch
        {
            "2^31-frame" => (RawGrpc.Frame([1, 2, 3], length: 1L << 31), ResourceExhausted),
            "over-limit-frame" => (RawGrpc.Frame([1, 2, 3], length: (4 * 1024 * 1024) + 1), ResourceExhausted),
            "bad-flag" => (RawGrpc.Frame(valid, flag: 0x7f), InvalidArgument),
            "truncated" => (RawGrpc.Frame(valid, length: valid.Length + 50), InvalidArgument),
            "two-messages" => ([.. RawGrpc.Frame(valid), .. RawGrpc.Frame(valid)], InvalidArgument),
            "empty" => ([], InvalidArgument),
            _ => (RawGrpc.Frame(Unparsable(method, kind)), InvalidArgument),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task MalformedBody_IsRefusedWithItsStatus_NeverUnknown(string method, string kind)
    {
        using var raw = new RawGrpc(server.GrpcPort);
        var (body, expected) = Malformed(method, kind);
        var reply = await raw.PostAsync(method, body); // Admin.Reload without a token: parsing comes first
        Assert.Equal(HttpStatusCode.OK, reply.HttpStatus);
        Assert.Equal(expected, reply.GrpcStatus);
        Assert.StartsWith(method + ":", reply.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", reply.Message, StringComparison.Ordinal);
        if (kind is "100x0b" or "random" or "invalid-utf8" or "nested-groups")
        {
            Assert.Contains("is not a valid " + (method switch { Search => "karma.v1.SearchRequest", Reload => "karma.v1.ReloadRequest", _ => "grpc.health.v1.HealthCheckRequest" })
                + " protobuf message", reply.Message, StringComparison.Ordinal);
        }

        // The service still answers.
        var ok = await new Retrieval.RetrievalClient(server.Channel).SearchAsync(
            new SearchRequest { Context = new UserContext { Query = "running shoes" }, RecallK = 50, TopN = 5 });
        Assert.Equal(5, ok.Items.Count);
    }

    [Fact]
    public async Task MalformedBodies_AreCounted_AndLoggedInAFewShortLines()
    {
        using var raw = new RawGrpc(server.GrpcPort);
        string before = await ScrapeAsync();
        int logged = server.Logs.Entries.Count;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        string[] kinds = ["random", "2^31-frame", "bad-flag"];
        for (int i = 0; i < 200; i++)
        {
            var (body, expected) = Malformed(Search, kinds[i % kinds.Length]);
            Assert.Equal(expected, (await raw.PostAsync(Search, body)).GrpcStatus);
        }

        double seconds = clock.Elapsed.TotalSeconds;
        var entries = server.Logs.Entries.Skip(logged).ToList();
        // At most one line per second per kind (three kinds here): the bound follows from the rate limit, whatever the
        // machine's speed.
        int bound = 3 * ((int)Math.Ceiling(seconds) + 1);
        Assert.True(entries.Count <= bound, $"{entries.Count} log entries for 200 malformed requests in {seconds:F1} s (bound {bound}):\n"
            + string.Join('\n', entries.Select(e => e.Message)));
        // Earlier tests may have used up this second's line for these kinds; the refusals were logged at some point.
        Assert.Contains(server.Logs.Entries, e => e.Category == "Karma.Serving.Wire.RefusalLog");
        Assert.All(entries, e =>
        {
            Assert.Null(e.Exception);
            Assert.Single(e.Lines);
            Assert.DoesNotContain("   at ", e.Message, StringComparison.Ordinal);
            Assert.False(e.Category.StartsWith("Grpc.", StringComparison.Ordinal), e.Category);
        });

        string after = await Scrapes.ScrapeUntilAsync(server.Http, s => Count(s, Search, "InvalidArgument") >= Count(before, Search, "InvalidArgument") + 133);

        Assert.True(Count(after, Search, "InvalidArgument") >= Count(before, Search, "InvalidArgument") + 133);
        Assert.True(Count(after, Search, "ResourceExhausted") >= Count(before, Search, "ResourceExhausted") + 66);
        Assert.Equal(0, Count(after, Search, "Unknown"));
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    [Fact]
    public async Task CompressedBodies_CorruptOrDecompressingPastTheLimit_AreRefused_ValidOnesServed()
    {
        using var raw = new RawGrpc(server.GrpcPort);
        var gzip = ("grpc-encoding", "gzip");
        var corrupt = await raw.PostAsync(Search, RawGrpc.Frame([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], flag: 1), "application/grpc", gzip);
        Assert.Equal(InvalidArgument, corrupt.GrpcStatus);
        // 8 MiB of zeros compress to a few KiB: within the frame limit, twice the message limit once decompressed.
        var bomb = await raw.PostAsync(Search, RawGrpc.Frame(Gzip(new byte[8 * 1024 * 1024]), flag: 1), "application/grpc", gzip);
        Assert.Equal(ResourceExhausted, bomb.GrpcStatus);
        var valid = new SearchRequest { Context = new UserContext { Query = "running shoes" }, RecallK = 50, TopN = 5 }.ToByteArray();
        Assert.Equal(0, (await raw.PostAsync(Search, RawGrpc.Frame(Gzip(valid), flag: 1), "application/grpc", gzip)).GrpcStatus);
    }

    [Theory]
    [InlineData("application/grpc+json")]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    public async Task ContentTypesOtherThanGrpcProto_AreUnimplemented_BeforeParsing(string contentType)
    {
        using var raw = new RawGrpc(server.GrpcPort);
        // A valid protobuf body: with application/grpc+json it used to be parsed as protobuf and answered.
        var body = RawGrpc.Frame(new HealthCheckRequest().ToByteArray());
        var reply = await raw.PostAsync(Check, body, contentType);
        Assert.Equal(Unimplemented, reply.GrpcStatus);
        Assert.Contains("application/grpc+proto", reply.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await raw.PostAsync(Check, body, "application/grpc+proto")).GrpcStatus);
        Assert.Equal(0, (await raw.PostAsync(Check, body, "application/grpc")).GrpcStatus);
    }

    [Fact]
    public async Task GrpcPort_ServesNoProbesOrMetrics_AndHttpPort_NoGrpc()
    {
        using var raw = new RawGrpc(server.GrpcPort);
        foreach (string path in new[] { "/metrics", "/healthz", "/readyz" })
        {
            Assert.Equal(HttpStatusCode.NotFound, await raw.GetAsync(path));
            using var ok = await server.Http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        // HTTP/1 POST of a valid gRPC Search to the HTTP port: no endpoint there, so no handler runs.
        using var content = new ByteArrayContent(RawGrpc.Frame(new SearchRequest { Context = new UserContext { Query = "x" } }.ToByteArray()));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        using var response = await server.Http.PostAsync(new Uri(Search, UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
    }

    [Fact]
    public async Task Reflection_ListsTheServicesOfTheGrpcPort()
    {
        var services = await ListServicesAsync(server.Channel);
        Assert.Contains("karma.v1.Retrieval", services);
        Assert.Contains("karma.v1.Admin", services); // admin shares the gRPC port in this fixture
        Assert.Contains("grpc.health.v1.Health", services);
    }

    public static async Task<List<string>> ListServicesAsync(Grpc.Net.Client.GrpcChannel channel)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }

    private static double Count(string exposition, string method, string status)
        => Scrapes.Sum(exposition, "karma_rpc_calls_total", ("method", method), ("status", status));

    private Task<string> ScrapeAsync() => Scrapes.ScrapeAsync(server.Http);
}
