namespace Karma.Serving.Tests;

/// <summary>
/// A server of its own over a package the fixture builds first (trained and exported with other settings, imported,
/// ...) in a scratch directory that is deleted with the server.
/// </summary>
public abstract class PackageServerFixture(string prefix) : IAsyncLifetime
{
    /// <summary>The scratch directory: data, checkpoints and the package.</summary>
    public string Root { get; } = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>Where <see cref="BuildPackageAsync"/> writes the package the server serves.</summary>
    public string Package => Path.Combine(Root, "package");

    /// <summary>The running server.</summary>
    public ServerFixture Server { get; private set; } = null!;

    /// <summary>Writes the package to <see cref="Package"/>.</summary>
    protected abstract Task BuildPackageAsync();

    public async Task InitializeAsync()
    {
        await BuildPackageAsync();
        Server = new ConfiguredServer([new("Karma:ModelPath", Package)]);
        await Server.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        Directory.Delete(Root, recursive: true);
    }
}
