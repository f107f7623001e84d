using Karma.Serving.Hosting;

var builder = WebApplication.CreateBuilder(args);
builder.AddKarmaServing();
return builder.Build().RunKarmaServing();

/// <summary>Entry point, public for functional tests.</summary>
public partial class Program;
