using Karma.Serving.Configuration;
using Karma.Serving.Model;
using Karma.Serving.Wire;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Tests;

public sealed class WireUnitTests
{
    [Theory]
    [InlineData("*", true)]
    [InlineData("localhost", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::", true)]
    [InlineData("::1", true)]
    [InlineData("[::1]", true)]
    [InlineData("fe80::1", true)]
    [InlineData("", false)]
    [InlineData("10.1", false)]
    [InlineData("256.1.1.1", false)]
    [InlineData("example.com", false)]
    public void ListenAddress_Forms(string address, bool valid) => Assert.Equal(valid, ListenAddresses.IsValid(address));

    [Theory]
    [InlineData("application/grpc", true)]
    [InlineData("application/grpc+proto", true)]
    [InlineData("Application/GRPC; charset=utf-8", true)]
    [InlineData("application/grpc+json", false)]
    [InlineData("application/grpc-web", false)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void ContentType_OnlyProtobufGrpc(string? contentType, bool accepted) => Assert.Equal(accepted, GrpcWireMiddleware.IsProtobufGrpc(contentType));

    [Fact]
    public void ErrorText_ElidesTheMiddle_AndControlCharacters()
    {
        string bounded = ErrorText.Bound("/start/" + new string('x', 10_000) + "/end.json");
        Assert.Equal(ErrorText.MaxShown, bounded.Length);
        Assert.StartsWith("/start/", bounded, StringComparison.Ordinal);
        Assert.EndsWith("/end.json", bounded, StringComparison.Ordinal);
        Assert.Contains("…", bounded, StringComparison.Ordinal);
        Assert.Equal("a?b", ErrorText.Bound("a\nb"));
        Assert.Equal("short", ErrorText.Bound("short"));
    }

    [Fact]
    public void ModelRoots_DefaultToTheModelsDirectory_AndThePackageCache()
    {
        var roots = new ModelRoots(Options.Create(new ServingOptions { ModelPath = ServerFixture.ModelPath, PackageCacheDir = "/var/cache/karma/packages" }));
        Assert.Equal([Path.GetDirectoryName(ServerFixture.ModelPath)!, "/var/cache/karma/packages"], roots.Roots);
        var configured = new ServingOptions();
        configured.ModelRoots.Add("/srv/models");
        Assert.Equal(["/srv/models"], new ModelRoots(Options.Create(configured)).Roots);
    }

    [Fact]
    public void Canonical_CollapsesDotDot_AndResolvesLinksAlongThePath()
    {
        using var scratch = new TempDirectory("karma-canonical-");
        string root = scratch.Path;
        string real = Directory.CreateDirectory(Path.Combine(root, "real", "pkg")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(root, "link"), Path.Combine(root, "real"));
        Directory.CreateSymbolicLink(Path.Combine(root, "relative"), "real");
        Assert.Equal(real, ModelRoots.Canonical(Path.Combine(root, "link", "pkg")));
        Assert.Equal(real, ModelRoots.Canonical(Path.Combine(root, "relative", "pkg")));
        Assert.Equal(real, ModelRoots.Canonical(Path.Combine(root, "other", "..", "real", ".", "pkg")));
        Assert.Equal(Path.Combine(real, "missing"), ModelRoots.Canonical(Path.Combine(root, "link", "pkg", "missing")));
    }
}
