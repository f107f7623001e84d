using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Serving.Core.Tests;

/// <summary>The shipped models/default, loaded once for the tests that only read it.</summary>
public sealed class DefaultPackage : IDisposable
{
    public DefaultPackage() => Package = ModelPackage.Load(Path, InferenceDevice.Auto, NullLogger.Instance);

    public ModelPackage Package { get; }

    public static string Path
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Karma.Serving.sln")))
            {
                dir = dir.Parent;
            }

            return System.IO.Path.Combine(dir!.FullName, "models", "default");
        }
    }

    public void Dispose() => Package.Dispose();
}
