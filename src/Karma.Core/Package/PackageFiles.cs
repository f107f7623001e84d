namespace Karma.Core.Package;

/// <summary>Integrity checks of a package's files against the manifest, shared by the verifier and the service.</summary>
public static class PackageFiles
{
    /// <summary>
    /// Checks that <paramref name="file"/> is a plain name inside <paramref name="dir"/>, exists, has the size
    /// and SHA-256 the manifest gives. Returns null when it does, else the problem, naming the file.
    /// </summary>
    public static string? Problem(string dir, string? file, string? sha256, long bytes)
    {
        if (string.IsNullOrEmpty(file) || file != Path.GetFileName(file) || file is "." or "..")
        {
            return $"manifest: '{file}' is not a plain file name inside the package";
        }

        string path = Path.Combine(dir, file);
        if (!File.Exists(path))
        {
            return $"{file}: missing";
        }

        long actual = new FileInfo(path).Length;
        if (actual != bytes)
        {
            return $"{file}: {actual} bytes, manifest says {bytes} (truncated or replaced)";
        }

        if (!string.Equals(ModelManifest.Sha256Of(path), sha256, StringComparison.OrdinalIgnoreCase))
        {
            return $"{file}: SHA-256 does not match the manifest (file modified)";
        }

        return null;
    }
}
