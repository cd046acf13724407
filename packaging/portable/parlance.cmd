@echo off
rem Runs Parlance from this folder with the Java 25 of JAVA_HOME, or the one on the PATH.
rem With no arguments it opens the desktop app; "parlance --help" lists the commands.
set "JAVA=java"
if defined JAVA_HOME set "JAVA=%JAVA_HOME%\bin\java"
"%JAVA%" -Xmx1g --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dfile.encoding=UTF-8 -jar "%~dp0parlance.jar" %*
