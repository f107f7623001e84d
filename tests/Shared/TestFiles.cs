namespace Karma.Tests.Shared;

/// <summary>File handling tests share: copies of packages and checkpoints to alter.</summary>
internal static class TestFiles
{
    /// <summary>
    /// Copies the files directly in <paramref name="from"/> (not subdirectories) into <paramref name="to"/>, creating it and
    /// replacing files of the same names; <paramref name="include"/> picks files by path. Returns <paramref name="to"/>.
    /// </summary>
    public static string CopyFiles(string from, string to, Func<string, bool>? include = null)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            if (include is null || include(file))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
            }
        }

        return to;
    }
}
