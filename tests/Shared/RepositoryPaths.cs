namespace Karma.Tests.Shared;

/// <summary>Files of the repository, found from a test's output directory (linked into every test project).</summary>
internal static class RepositoryPaths
{
    /// <summary>The directory holding Karma.Serving.sln.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Karma.Serving.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A training config under configs/.</summary>
    public static string Config(string name) => Path.Combine(Root, "configs", name + ".json");

    /// <summary>The shipped model package.</summary>
    public static string DefaultModel => Path.Combine(Root, "models", "default");
}
