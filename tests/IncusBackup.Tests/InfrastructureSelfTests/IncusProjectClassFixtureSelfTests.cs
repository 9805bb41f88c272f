using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.InfrastructureSelfTests;

/// <summary>The fixture as integration test classes use it: created by xunit (with its diagnostic sink) once per class.</summary>
public sealed class IncusProjectClassFixtureSelfTests(IncusProjectFixture fixture) : IClassFixture<IncusProjectFixture>
{
    [IncusFact]
    public void Xunit_creates_the_project_before_the_tests()
    {
        Assert.True(fixture.IsCreated);
        Assert.Equal("default", fixture.Query("/1.0/profiles/default").GetProperty("devices").GetProperty("root").GetProperty("pool").GetString());
    }

    [IncusFact]
    public void Helpers_work_in_the_class_project()
    {
        fixture.LaunchContainer("shared");
        Assert.Contains("shared", fixture.ListInstances());
    }
}
