namespace Karma.Tests.Shared;

/// <summary>A scratch directory under the system's temp path, deleted with everything in it when disposed.</summary>
internal sealed class TempDirectory : IDisposable
{
    /// <summary>Creates a new, empty directory whose name starts with <paramref name="prefix"/>.</summary>
    public TempDirectory(string prefix) => Path = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>The directory's full path.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
