# psake tasks for those who use psake (Invoke-psake); they run the same commands as build.ps1.
Properties {
    $Configuration = 'Release'
}

Task default -Depends Test

Task Build {
    Exec { dotnet build "$PSScriptRoot/IncusBackup.PowerShell.sln" -c $Configuration -nologo }
}

Task Test -Depends Build {
    Exec { bash "$PSScriptRoot/scripts/test.sh" }
}

Task QuickStart {
    Exec { & "$PSScriptRoot/build.ps1" -Task QuickStart -Configuration $Configuration }
}
