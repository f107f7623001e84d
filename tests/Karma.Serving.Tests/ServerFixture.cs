using Grpc.Health.V1;
using Grpc.Net.Client;
using Karma.Serving.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Karma.Serving.Tests;

/// <summary>
/// The real service: the same wiring as Program.cs, on Kestrel with two free loopback ports (gRPC h2c and
/// HTTP/1), serving the shipped models/default; clients talk to it over real sockets.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    /// <summary>Extra settings of a derived fixture (e.g. a Redis cache).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    public const string AdminToken = "test-admin-token";

    private WebApplication? _app;

    public int GrpcPort { get; private set; }
    public int HttpPort { get; private set; }
    public GrpcChannel Channel { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;

    /// <summary>The running host's services (tests read the model host and the cache's key through them).</summary>
    public IServiceProvider Services => (_app ?? throw new InvalidOperationException("the server is not running")).Services;
    public static string ModelPath => RepositoryPaths.DefaultModel;

    /// <summary>Every log entry of this host at Warning and above (the fixture's minimum level).</summary>
    public CapturedLogs Logs { get; } = new();

    /// <summary>
    /// A scratch directory that is the fixture's <c>Karma:PackageCacheDir</c>, so one of the default model roots: tests
    /// put packages for Reload here.
    /// </summary>
    public string ScratchRoot { get; } = Directory.CreateTempSubdirectory("karma-fixture-").FullName;

    public virtual async Task InitializeAsync()
    {
        GrpcPort = FreePorts.Next();
        HttpPort = FreePorts.Next();
        var builder = HostBuilder(
        [
            new("Karma:GrpcPort", GrpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Karma:HttpPort", HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("Karma:AdminToken", AdminToken),
            new("Karma:MaxRecallK", "2000"),
            new("Karma:PackageCacheDir", ScratchRoot),
        ], Settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(Logs);
        _app = builder.Build();
        _app.MapKarmaServing();
        await _app.StartAsync();
        Channel = GrpcChannel.ForAddress($"http://127.0.0.1:{GrpcPort}");
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{HttpPort}") };
        var health = new Health.HealthClient(Channel);
        await Eventually.Holds(async () => (await health.CheckAsync(new HealthCheckRequest())).Status == HealthCheckResponse.Types.ServingStatus.Serving,
            "the service did not become SERVING", TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// The service's host builder as Program.cs makes it (<c>AddKarmaServing</c>), over <c>models/default</c> on CPU, with
    /// each layer of <paramref name="settings"/> on top of the one before (a later source wins): the one host setup of
    /// these tests.
    /// </summary>
    internal static WebApplicationBuilder HostBuilder(params IEnumerable<KeyValuePair<string, string?>>[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection([new("Karma:ModelPath", ModelPath), new("Karma:Device", "Cpu")]);
        foreach (var layer in settings)
        {
            builder.Configuration.AddInMemoryCollection(layer);
        }

        builder.AddKarmaServing();
        return builder;
    }

    public virtual async Task DisposeAsync()
    {
        Channel.Dispose();
        Http.Dispose();
        await StopAsync();
        if (Directory.Exists(ScratchRoot))
        {
            Directory.Delete(ScratchRoot, recursive: true);
        }
    }

    /// <summary>Stops the server the way SIGTERM does (the host's graceful stop), then disposes it.</summary>
    public async Task StopAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

}
