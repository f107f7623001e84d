using Grpc.Core;
using Karma.Serving.Contracts.V1;

namespace Karma.Serving.Tests;

/// <summary>Admin Reload loads only from inside the model roots, and its errors stay short (issue 12).</summary>
[Collection(ServerGroup.Name)]
public sealed class ReloadRootsTests(ServerFixture server)
{
    private static readonly Metadata Auth = new() { { "authorization", "Bearer " + ServerFixture.AdminToken } };

    private Admin.AdminClient Admin => new(server.Channel);

    private async Task<RpcException> RefusedAsync(string path)
        => await Assert.ThrowsAsync<RpcException>(async () => await Admin.ReloadAsync(new ReloadRequest { PackagePath = path }, Auth));

    [Fact]
    public async Task Reload_OutsideTheRoots_IsPermissionDenied_WithoutThePath()
    {
        using var scratch = new TempDirectory("karma-outside-");
        string outside = scratch.Path;
        foreach (string path in new[] { outside, Path.Combine(server.ScratchRoot, "..", Path.GetFileName(outside)), "/etc" })
        {
            var error = await RefusedAsync(path);
            Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
            Assert.Contains("Karma:ModelRoots", error.Status.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(Path.GetFileName(outside), error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Reload_ThroughASymlinkLeavingTheRoots_IsPermissionDenied()
    {
        string outside = Directory.CreateTempSubdirectory("karma-outside-").FullName;
        string link = Path.Combine(server.ScratchRoot, "link-" + Guid.NewGuid().ToString("N")[..8]);
        string package = Directory.CreateDirectory(Path.Combine(server.ScratchRoot, "pkg-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "manifest.json"), "{}");
            Directory.CreateSymbolicLink(link, outside);
            Assert.Equal(StatusCode.PermissionDenied, (await RefusedAsync(link)).StatusCode);
            Assert.Equal(StatusCode.PermissionDenied, (await RefusedAsync(Path.Combine(link, "."))).StatusCode);
            // A package inside a root whose file links out.
            File.CreateSymbolicLink(Path.Combine(package, "manifest.json"), Path.Combine(outside, "manifest.json"));
            var error = await RefusedAsync(package);
            Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
            Assert.Contains("links to a file outside", error.Status.Detail, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(link);
            Directory.Delete(package, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task Reload_OfAHugePath_IsInvalidArgument_WithAShortMessage()
    {
        var error = await RefusedAsync("/" + new string('a', 1024 * 1024));
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Contains("package_path", error.Status.Detail, StringComparison.Ordinal);
        Assert.True(error.Status.Detail.Length < 200, error.Status.Detail);
    }

    [Fact]
    public async Task Reload_OfAMissingPackageWithALongPath_GivesABoundedError()
    {
        // Inside a root and within MaxStringLength (2048), but no package there: the loader's message quotes the path.
        string path = Path.Combine(server.ScratchRoot, new string('b', 200), new string('c', 200), new string('d', 200), "missing");
        var error = await RefusedAsync(path);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.True(error.Status.Detail.Length <= 500, $"{error.Status.Detail.Length} characters");
        Assert.Contains("…", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_OfThePackageInsideTheDefaultRoot_Works()
    {
        // models/ (the directory holding ModelPath) is a default root; a path with ".." that stays inside is fine.
        string path = Path.Combine(ServerFixture.ModelPath, "..", Path.GetFileName(ServerFixture.ModelPath));
        var reloaded = await Admin.ReloadAsync(new ReloadRequest { PackagePath = path }, Auth);
        Assert.Equal(reloaded.PreviousVersion, reloaded.Current.ModelVersion);
    }
}
