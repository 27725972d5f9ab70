# Learning rate and momentum
# written by curvtrack report: reads schedule.dat and writes schedule.svg and schedule.png.
# Restyle freely and regenerate with: gnuplot schedule.gp
set encoding utf8
set terminal svg size 860,500 dynamic noenhanced font 'Sans,12' background rgb 'white'
set output 'schedule.svg'
set datafile missing 'nan'
set title 'Learning rate and momentum'
set xlabel 'fraction of training (step / total steps)'
set ylabel 'learning rate'
set grid
set key below
set style fill transparent solid 0.18 noborder
set y2label 'momentum'
set ytics nomirror
set y2tics
plot 'schedule.dat' index 1 using 2:4:5 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 1 using 2:3 with lines lw 2 dt 1 lc rgb '#1b9e77' title 'gd-mse-eta0.04: lr (mean of 1, band min-max)', \
     '' index 3 using 2:4:5 axes x1y2 with filledcurves lc rgb '#1b9e77' notitle, \
     '' index 3 using 2:3 axes x1y2 with lines lw 2 dt 2 lc rgb '#1b9e77' title 'gd-mse-eta0.04: momentum (mean of 1, band min-max)'
set terminal pngcairo size 1000,580 noenhanced font 'Sans,10' background rgb 'white'
set output 'schedule.png'
replot
unset output
