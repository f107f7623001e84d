using Grpc.Core;
using Grpc.Net.Client;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>The service with admin on a port of its own (loopback), and the other listeners bound to 127.0.0.1.</summary>
public sealed class AdminPortServer : ServerFixture
{
    public int AdminPort { get; } = FreePorts.Next();

    public GrpcChannel AdminChannel { get; private set; } = null!;

    protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
    [
        new("Karma:AdminPort", AdminPort.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("Karma:ListenAddress", "127.0.0.1"),
    ];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        AdminChannel = GrpcChannel.ForAddress($"http://127.0.0.1:{AdminPort}");
    }

    public override async Task DisposeAsync()
    {
        AdminChannel.Dispose();
        await base.DisposeAsync();
    }
}

[Collection(OwnServerGroup.Name)]
public sealed class AdminListenerTests(AdminPortServer server) : IClassFixture<AdminPortServer>
{
    private static readonly Metadata Auth = new() { { "authorization", "Bearer " + ServerFixture.AdminToken } };

    [Fact]
    public async Task Admin_IsServedOnItsPort_Only()
    {
        var info = await new Admin.AdminClient(server.AdminChannel).GetModelInfoAsync(new GetModelInfoRequest(), Auth);
        Assert.True(info.Items > 0);
        var onPublic = await Assert.ThrowsAsync<RpcException>(async () =>
            await new Admin.AdminClient(server.Channel).GetModelInfoAsync(new GetModelInfoRequest(), Auth));
        Assert.Equal(StatusCode.Unimplemented, onPublic.StatusCode);
        // And the public services are not on the admin port.
        var search = await Assert.ThrowsAsync<RpcException>(async () => await new Retrieval.RetrievalClient(server.AdminChannel)
            .SearchAsync(new SearchRequest { Context = new UserContext { Query = "shoes" }, RecallK = 10, TopN = 5 }));
        Assert.Equal(StatusCode.Unimplemented, search.StatusCode);
    }

    [Fact]
    public async Task PublicReflection_DoesNotList_Admin()
    {
        var services = await WireTests.ListServicesAsync(server.Channel);
        Assert.Contains("karma.v1.Retrieval", services);
        Assert.DoesNotContain("karma.v1.Admin", services);
    }

    [Fact]
    public async Task MalformedBody_OnTheAdminPort_IsInvalidArgument()
    {
        using var raw = new RawGrpc(server.AdminPort);
        var reply = await raw.PostAsync("/karma.v1.Admin/Reload", RawGrpc.Frame(Enumerable.Repeat((byte)0x0b, 100).ToArray()));
        Assert.Equal(3, reply.GrpcStatus);
    }
}

/// <summary>Listener settings checked at start.</summary>
[Collection(OwnServerGroup.Name)]
public sealed class ListenerSettingsTests
{
    [Theory]
    [InlineData("Karma:ListenAddress", "every-interface")]
    [InlineData("Karma:ListenAddress", "10.1")]
    [InlineData("Karma:AdminListenAddress", "300.0.0.1")]
    public async Task BadListenAddress_IsRefusedAtStart(string key, string value)
    {
        var error = await StartRefusal.ExpectAsync((key, value));
        Assert.Contains(key + " must be", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AdminPort_ClashingWithAnotherPort_IsRefusedAtStart()
    {
        var error = await StartRefusal.ExpectAsync(("Karma:GrpcPort", "50999"), ("Karma:AdminPort", "50999"));
        Assert.Contains("Karma:AdminPort must differ", error.Message, StringComparison.Ordinal);
    }
}
