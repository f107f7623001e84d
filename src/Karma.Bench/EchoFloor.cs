using System.Net;
using Grpc.Core;
using Karma.Serving.Contracts.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Karma.Bench;

/// <summary>
/// The floor under the service's gRPC cost: a minimal Grpc.AspNetCore host (default options, no interceptors, no
/// telemetry, no admission control) whose <c>karma.v1.Retrieval/Search</c> answers each request with the response the
/// real service gave it, looked up by value. Same messages on the wire, same client, no work: what Kestrel, HTTP/2 and
/// protobuf cost by themselves on this machine.
/// </summary>
public sealed class EchoFloor : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoFloor(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    /// <summary>The loopback port it listens on (h2c).</summary>
    public int Port { get; }

    /// <summary>Starts the echo host on a free loopback port with the canned answers.</summary>
    public static async Task<EchoFloor> StartAsync(IReadOnlyDictionary<SearchRequest, SearchResponse> answers, int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new CannedAnswers(answers));
        var app = builder.Build();
        app.MapGrpcService<EchoRetrieval>();
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new EchoFloor(app, port);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class CannedAnswers(IReadOnlyDictionary<SearchRequest, SearchResponse> answers)
    {
        public IReadOnlyDictionary<SearchRequest, SearchResponse> Answers { get; } = answers;
    }

    private sealed class EchoRetrieval(CannedAnswers canned) : Retrieval.RetrievalBase
    {
        public override Task<SearchResponse> Search(SearchRequest request, ServerCallContext context)
            => canned.Answers.TryGetValue(request, out var answer)
                ? Task.FromResult(answer)
                : throw new RpcException(new Status(StatusCode.NotFound, "no canned answer for this request"));
    }
}
