# Hessian trace along training
# written by curvtrack report: reads trace.dat and writes trace.svg and trace.png.
# Restyle freely and regenerate with: gnuplot trace.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'trace.svg'
set datafile missing 'nan'
set title 'Hessian trace along training'
set xlabel 'fraction of training (step / total steps)'
set ylabel 'trace'
set grid
set key below
set style fill transparent solid 0.18 noborder
set label 'no data' at graph 0.5, graph 0.5 center
plot [0:1] [0:1] NaN notitle
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'trace.png'
replot
unset output
