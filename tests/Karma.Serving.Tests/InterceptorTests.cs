using System.Diagnostics.Metrics;
using Grpc.Core;
using Karma.Serving.Core.Inference;
using Karma.Serving.Core.Telemetry;
using Karma.Serving.Hosting;
using Karma.Serving.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Serving.Tests;

/// <summary>The service's three interceptors, one job each, unit-tested with a fake call context.</summary>
public sealed class InterceptorTests
{
    private const string SearchMethod = "/karma.v1.Retrieval/Search";

    private sealed class FakeCallContext(string method, DateTime deadline, CancellationToken cancellation = default) : ServerCallContext
    {
        protected override string MethodCore => method;
        protected override string HostCore => "localhost";
        protected override string PeerCore => "ipv4:127.0.0.1:1";
        protected override DateTime DeadlineCore => deadline;
        protected override Metadata RequestHeadersCore { get; } = [];
        protected override CancellationToken CancellationTokenCore => cancellation;
        protected override Metadata ResponseTrailersCore { get; } = [];
        protected override Status StatusCore { get; set; }
        protected override WriteOptions? WriteOptionsCore { get; set; }
        protected override AuthContext AuthContextCore => new(null, []);
        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();
        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }

    private static FakeCallContext Call(double secondsLeft = 30, CancellationToken cancellation = default)
        => new(SearchMethod, DateTime.UtcNow.AddSeconds(secondsLeft), cancellation);

    private static async Task<StatusCode> StatusOf(Func<Task> call)
    {
        try
        {
            await call();
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    [Fact]
    public async Task ErrorMapping_GivesEachKnownFailureItsStatus_AndHidesTheRest()
    {
        var mapping = new ErrorMappingInterceptor(NullLogger<ErrorMappingInterceptor>.Instance);
        Task<string> Throwing(Exception e) => mapping.UnaryServerHandler<string, string>("request", Call(), (_, _) => throw e);
        Assert.Equal(StatusCode.InvalidArgument, await StatusOf(() => Throwing(new InvalidContextException("context: empty"))));
        Assert.Equal(StatusCode.ResourceExhausted, await StatusOf(() => Throwing(new QueueFullException("full"))));
        Assert.Equal(StatusCode.Unavailable, await StatusOf(() => Throwing(new ModelUnavailableException())));
        Assert.Equal(StatusCode.NotFound, await StatusOf(() => Throwing(new RpcException(new Status(StatusCode.NotFound, "kept as is")))));
        var internalError = await Assert.ThrowsAsync<RpcException>(() => Throwing(new InvalidOperationException("secret detail")));
        Assert.Equal(StatusCode.Internal, internalError.StatusCode);
        Assert.DoesNotContain("secret", internalError.Status.Detail, StringComparison.Ordinal);

        using var gone = new CancellationTokenSource();
        await gone.CancelAsync();
        var cancelled = await Assert.ThrowsAsync<RpcException>(() => mapping.UnaryServerHandler<string, string>("r", Call(30, gone.Token),
            (_, _) => throw new OperationCanceledException(gone.Token)));
        Assert.Equal(StatusCode.Cancelled, cancelled.StatusCode);
        var late = await Assert.ThrowsAsync<RpcException>(() => mapping.UnaryServerHandler<string, string>("r", Call(-1, gone.Token),
            (_, _) => throw new OperationCanceledException(gone.Token)));
        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
        Assert.Equal("ok", await mapping.UnaryServerHandler<string, string>("r", Call(), (_, _) => Task.FromResult("ok")));
    }

    [Fact]
    public async Task Deadline_RefusesExpiredRetrievalCallsUncomputed_AndNeverAnswersALateCallOk()
    {
        var deadline = new DeadlineInterceptor();
        bool computed = false;
        var expired = await Assert.ThrowsAsync<RpcException>(() => deadline.UnaryServerHandler<string, string>("r", Call(-1), (_, _) =>
        {
            computed = true;
            return Task.FromResult("ok");
        }));
        Assert.Equal(StatusCode.DeadlineExceeded, expired.StatusCode);
        Assert.False(computed);

        // Not Retrieval (admin, health): not refused up front; answered when it finishes in time.
        Assert.Equal("ok", await deadline.UnaryServerHandler<string, string>("r", new FakeCallContext("/karma.v1.Admin/GetModelInfo", DateTime.UtcNow.AddSeconds(30)),
            (_, _) => Task.FromResult("ok")));

        var overran = await Assert.ThrowsAsync<RpcException>(() => deadline.UnaryServerHandler<string, string>("r", Call(0.05), async (_, _) =>
        {
            await Task.Delay(200);
            return "ok";
        }));
        Assert.Equal(StatusCode.DeadlineExceeded, overran.StatusCode);
    }

    [Fact]
    public async Task CallMetrics_CountsEachCallWithTheStatusTheCallerGets()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var telemetry = new KarmaTelemetry(services.GetRequiredService<IMeterFactory>());
        var counted = new List<(string Method, string Status)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, telemetry.Meter) && instrument.Name == "karma.rpc.calls")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            if (value > 0)
            {
                var t = tags.ToArray().ToDictionary(x => x.Key, x => x.Value?.ToString());
                counted.Add((t["method"]!, t["status"]!));
            }
        });
        listener.Start();
        var metrics = new CallMetricsInterceptor(telemetry);
        await metrics.UnaryServerHandler<string, string>("r", Call(), (_, _) => Task.FromResult("ok"));
        await StatusOf(() => metrics.UnaryServerHandler<string, string>("r", Call(), (_, _) => throw new RpcException(new Status(StatusCode.Unavailable, "x"))));
        Assert.Equal([(SearchMethod, "OK"), (SearchMethod, "Unavailable")], counted);
    }
}
